package org.phoenixcast.it.runtimes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.phoenixcast.it.support.ExecResult;
import org.phoenixcast.it.support.RuntimeContainer;
import org.phoenixcast.testing.RequiresRoot;

/**
 * The Podman fixture itself, privileged and user-namespaced: one container started, exec'd into
 * as its root, stopped, restarted, and nothing left after close.
 */
@RequiresRoot(tools = {"podman", "conmon", "runc", "nsenter", "umount", "chown"})
class PodmanFixtureIT {

    @ParameterizedTest(name = "user namespace: {0}")
    @ValueSource(booleans = {false, true})
    void startsExecsStopsAndCleansUpOneContainer(boolean userNamespaced) throws IOException {
        Path dir;
        try (PodmanFixture fixture = userNamespaced ? PodmanFixture.startUserNamespaced() : PodmanFixture.start()) {
            dir = fixture.podman().dir();
            assertThat(fixture.userNamespaced()).isEqualTo(userNamespaced);
            assertThat(fixture.castdSettings()).containsEntry("runtimes", "podman")
                    .containsEntry("podman.root", fixture.podman().root().toString());
            RuntimeContainer c = fixture.create(userNamespaced ? "pfixu1" : "pfix1");
            c.start();
            int pid = c.pid();
            assertThat(c.userNamespaced()).isEqualTo(userNamespaced);
            assertThat(Files.readString(Path.of("/proc", Integer.toString(pid), "status"))).containsPattern("NSpid:\\s+\\d+\\s+1\n");
            String uidMap = Files.readString(Path.of("/proc", Integer.toString(pid), "uid_map")).trim();
            assertThat(uidMap.split("\\s+")[1]).isEqualTo(userNamespaced ? "100000" : "0");

            ExecResult r = c.sh("echo $(id -u); mkdir -p /srv/in && echo hi > /srv/in/f");
            assertThat(r.succeeded()).as(r.toString()).isTrue();
            assertThat(r.stdout()).isEqualTo("0\n");
            Path f = c.hostRootfs().resolve("srv/in/f");
            assertThat(f).hasContent("hi");
            assertThat(Files.getAttribute(f, "unix:uid", LinkOption.NOFOLLOW_LINKS))
                    .as("written as the container's root").isEqualTo(userNamespaced ? 100000 : 0);

            c.stop();
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            c.start();
            assertThat(c.pid()).isNotEqualTo(pid);
            c.close();
        }
        assertThat(dir).doesNotExist();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(dir.toString());
        assertThat(ProcessHandle.allProcesses().filter(h -> h.info().commandLine().orElse("").contains(dir.toString())))
                .as("no conmon or container of the fixture left").isEmpty();
    }
}
