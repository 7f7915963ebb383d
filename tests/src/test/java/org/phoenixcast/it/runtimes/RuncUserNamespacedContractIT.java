package org.phoenixcast.it.runtimes;

import java.io.IOException;
import org.junit.jupiter.api.BeforeAll;
import org.phoenixcast.testing.RequiresRoot;

/** The runtime contract plus idmapped shares on runc containers with uid maps (0 → 100000). */
@RequiresRoot(tools = {"runc", "nsenter", "unshare", "umount"})
class RuncUserNamespacedContractIT extends UserNamespacedContract {
    @BeforeAll
    static void start() throws IOException {
        startWith(RuncFixture.withUserNamespace());
    }
}
