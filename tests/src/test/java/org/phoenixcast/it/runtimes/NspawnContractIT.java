package org.phoenixcast.it.runtimes;

import java.io.IOException;
import org.junit.jupiter.api.BeforeAll;
import org.phoenixcast.testing.RequiresRoot;

/** The runtime contract on systemd-nspawn ({@link NspawnFixture}, --register=no). */
@RequiresRoot(tools = {"systemd-nspawn", "nsenter", "unshare", "umount"})
class NspawnContractIT extends RuntimeContract {
    @BeforeAll
    static void start() throws IOException {
        startWith(NspawnFixture.privileged());
    }
}
