package org.phoenixcast.it.runtimes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.phoenixcast.it.support.ExecResult;
import org.phoenixcast.it.support.RuntimeContainer;
import org.phoenixcast.testing.RequiresRoot;

/** The LXC fixture itself: start, exec, stop, restart, and a close that leaves nothing behind. */
@RequiresRoot(tools = {"lxc-start", "lxc-stop", "lxc-info", "lxc-destroy", "lxc-monitor", "nsenter", "busybox"})
class LxcFixtureIT {

    @ParameterizedTest
    @EnumSource(LxcFixture.Mode.class)
    void startsStopsAndRestartsAContainerAndCleansUp(LxcFixture.Mode mode) throws Exception {
        LxcFixture fixture = LxcFixture.of(mode);
        Path lxcpath = fixture.lxcpath();
        int firstPid;
        try (fixture) {
            assertThat(fixture.castdSettings()).isEqualTo(Map.of("runtimes", "lxc", "lxc.lxcpath", lxcpath.toString(),
                    "discover-names", LxcFixture.NAMES));
            assertThat(fixture.userNamespaced()).isEqualTo(mode == LxcFixture.Mode.UNPRIVILEGED);
            assertThatThrownBy(() -> fixture.create("not/a/name")).isInstanceOf(IllegalArgumentException.class);

            RuntimeContainer c = fixture.create("fx-web");
            assertThat(c.name()).isEqualTo("fx-web");
            assertThat(Files.getAttribute(c.hostRootfs().resolve("sbin/init"), "unix:uid", LinkOption.NOFOLLOW_LINKS))
                    .isEqualTo(mode == LxcFixture.Mode.UNPRIVILEGED ? 100_000 : 0);

            long start = System.nanoTime();
            c.start();
            long startMillis = (System.nanoTime() - start) / 1_000_000;
            firstPid = c.pid();
            assertThat(Files.readString(Path.of("/proc/" + firstPid + "/status"))).containsPattern("NSpid:\\s+"
                    + firstPid + "\\s+1\\n");
            ExecResult inside = c.sh("echo $(id -u) $(hostname) $(tr '\\0' ' ' < /proc/1/cmdline); echo x > /tmp/written");
            assertThat(inside.exitCode()).as(inside.toString()).isZero();
            assertThat(inside.stdout()).as("runs as the container's root").isEqualTo("0 fx-web /bin/sh /sbin/init\n");
            assertThat(Files.getAttribute(c.hostRootfs().resolve("tmp/written"), "unix:uid"))
                    .isEqualTo(mode == LxcFixture.Mode.UNPRIVILEGED ? 100_000 : 0);
            String uidMap = Files.readString(Path.of("/proc/" + firstPid + "/uid_map")).strip();
            assertThat(uidMap.split("\\s+")[1]).isEqualTo(mode == LxcFixture.Mode.UNPRIVILEGED ? "100000" : "0");

            long stop = System.nanoTime();
            c.stop();
            long stopMillis = (System.nanoTime() - stop) / 1_000_000;
            assertThat(ProcessHandle.of(firstPid)).isEmpty();
            assertThatThrownBy(c::pid).isInstanceOf(RuntimeException.class).hasMessageContaining("not running");

            c.start();
            assertThat(c.pid()).isNotEqualTo(firstPid);
            System.out.printf("LxcFixtureIT %s: start %d ms, stop %d ms%n", mode, startMillis, stopMillis);
        }
        assertThat(lxcpath).doesNotExist();
        assertThat(Path.of("/run/lxc" + lxcpath)).doesNotExist();
        assertThat(Path.of("/run/lxc/lock" + lxcpath)).doesNotExist();
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(lxcpath.toString())))
                .as("no lxc-start monitor, init or lxc-monitord left for the lxcpath").isEmpty();
    }
}
