package org.phoenixcast.it.runtimes;

import java.io.IOException;
import org.junit.jupiter.api.BeforeAll;
import org.phoenixcast.testing.RequiresRoot;

/** The runtime contract on runc ({@link RuncFixture}, its own state root): castd discovers its containers by itself. */
@RequiresRoot(tools = {"runc", "nsenter", "unshare", "umount"})
class RuncContractIT extends RuntimeContract {
    @BeforeAll
    static void start() throws IOException {
        startWith(RuncFixture.privileged());
    }
}
