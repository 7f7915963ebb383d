package org.phoenixcast.it.runtimes;

import java.io.IOException;
import org.junit.jupiter.api.BeforeAll;
import org.phoenixcast.testing.RequiresRoot;

/** The runtime contract plus idmapped shares on unprivileged LXC containers (root → host 100000). */
@RequiresRoot(tools = {"lxc-start", "lxc-stop", "lxc-info", "lxc-ls", "lxc-monitor", "nsenter", "unshare", "umount"})
class LxcUnprivilegedContractIT extends UserNamespacedContract {
    @BeforeAll
    static void start() throws IOException {
        startWith(LxcFixture.unprivileged());
    }
}
