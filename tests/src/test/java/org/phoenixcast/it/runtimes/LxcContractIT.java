package org.phoenixcast.it.runtimes;

import java.io.IOException;
import org.junit.jupiter.api.BeforeAll;
import org.phoenixcast.testing.RequiresRoot;

/** The runtime contract on privileged LXC containers ({@link LxcFixture}, a private lxcpath). */
@RequiresRoot(tools = {"lxc-start", "lxc-stop", "lxc-info", "lxc-ls", "lxc-monitor", "nsenter", "unshare", "umount"})
class LxcContractIT extends RuntimeContract {
    @BeforeAll
    static void start() throws IOException {
        startWith(LxcFixture.privileged());
    }
}
