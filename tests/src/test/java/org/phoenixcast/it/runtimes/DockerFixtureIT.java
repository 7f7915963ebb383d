package org.phoenixcast.it.runtimes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.phoenixcast.it.support.ExecResult;
import org.phoenixcast.it.support.RuntimeContainer;
import org.phoenixcast.testing.RequiresRoot;

/** The Docker fixture itself: one container started, exec'd into, stopped, restarted, and nothing left after close. */
@RequiresRoot(tools = {"dockerd", "containerd", "runc", "nsenter", "tar", "umount"})
class DockerFixtureIT {

    @Test
    void startsExecsStopsAndCleansUpOneContainer() throws IOException {
        Path dir;
        Path socket;
        try (DockerFixture fixture = DockerFixture.start()) {
            dir = fixture.dockerd().dir();
            socket = fixture.dockerd().socket();
            assertThat(fixture.castdSettings()).containsEntry("runtimes", "docker")
                    .containsEntry("docker.socket", socket.toString());
            RuntimeContainer c = fixture.create("dfix1");
            c.start();
            int pid = c.pid();
            assertThat(Files.readString(Path.of("/proc", Integer.toString(pid), "status"))).containsPattern("NSpid:\\s+\\d+\\s+1\n");
            ExecResult r = c.sh("echo $$ $(id -u); echo hi > /srv/from-inside");
            assertThat(r.succeeded()).as(r.toString()).isTrue();
            assertThat(r.stdout()).doesNotStartWith("1 ").endsWith(" 0\n");
            assertThat(c.hostRootfs().resolve("srv/from-inside")).hasContent("hi");
            assertThat(c.hostRootfs().resolve("sbin/init")).exists();

            c.stop();
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(c.hostRootfs().resolve("srv/from-inside")).as("upper dir while stopped").hasContent("hi");
            c.start();
            assertThat(c.pid()).isNotEqualTo(pid);
            c.close();
        }
        assertThat(dir).doesNotExist();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(dir.toString());
        assertThat(ProcessHandle.allProcesses().filter(h -> h.info().commandLine().orElse("").contains(dir.toString())))
                .as("no dockerd, containerd or shim of the fixture left").isEmpty();
    }
}
