package org.phoenixcast.it.runtimes;

import java.io.IOException;
import org.junit.jupiter.api.BeforeAll;
import org.phoenixcast.testing.RequiresRoot;

/**
 * The user-namespaced runtime contract on Podman ({@code --uidmap/--gidmap 0:100000:65536}):
 * discovery plus idmapped shares.
 */
@RequiresRoot(tools = {"podman", "runc", "nsenter", "unshare", "umount", "chown"})
class PodmanUserNamespacedContractIT extends UserNamespacedContract {
    @BeforeAll
    static void start() throws IOException {
        startWith(PodmanFixture.startUserNamespaced());
    }
}
