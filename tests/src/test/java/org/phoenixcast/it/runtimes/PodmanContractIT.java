package org.phoenixcast.it.runtimes;

import java.io.IOException;
import org.junit.jupiter.api.BeforeAll;
import org.phoenixcast.testing.RequiresRoot;

/** The runtime contract on Podman ({@link PodmanFixture}): castd discovers its containers by itself. */
@RequiresRoot(tools = {"podman", "runc", "nsenter", "unshare", "umount"})
class PodmanContractIT extends RuntimeContract {
    @BeforeAll
    static void start() throws IOException {
        startWith(PodmanFixture.start());
    }
}
