package org.phoenixcast.it.runtimes;

import java.io.IOException;
import org.junit.jupiter.api.BeforeAll;
import org.phoenixcast.testing.RequiresRoot;

/** The runtime contract on Docker ({@link DockerFixture}): castd discovers its containers by itself. */
@RequiresRoot(tools = {"dockerd", "containerd", "runc", "nsenter", "unshare", "umount"})
class DockerContractIT extends RuntimeContract {
    @BeforeAll
    static void start() throws IOException {
        startWith(DockerFixture.start());
    }
}
