package org.phoenixcast.it.runtimes;

import java.io.IOException;
import org.junit.jupiter.api.BeforeAll;
import org.phoenixcast.testing.RequiresRoot;

/** The runtime contract plus idmapped shares on systemd-nspawn -U containers. */
@RequiresRoot(tools = {"systemd-nspawn", "nsenter", "unshare", "umount"})
class NspawnUserNamespacedContractIT extends UserNamespacedContract {
    @BeforeAll
    static void start() throws IOException {
        startWith(NspawnFixture.withUserNamespace());
    }
}
