package org.phoenixcast.it.support;

import org.phoenixcast.testing.RequiresRoot;
import org.phoenixcast.testing.TestMounts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The test container fixture itself: namespaces, shells, read-only host tools, cleanup. */
@RequiresRoot(tools = {"unshare", "nsenter", "mount", "umount", "pivot_root", "busybox"})
class UnshareContainerIT {

    private static UnshareContainer start(UnshareContainer.Rootfs rootfs) throws IOException {
        return UnshareContainer.start(rootfs, "ct-" + rootfs.name().toLowerCase().replace('_', '-'));
    }

    @ParameterizedTest
    @EnumSource(UnshareContainer.Rootfs.class)
    void runsInItsOwnNamespacesWithItsInitAsPid1(UnshareContainer.Rootfs rootfs) throws IOException {
        try (UnshareContainer c = start(rootfs)) {
            for (String ns : List.of("mnt", "pid", "uts", "ipc")) {
                assertThat(Files.readSymbolicLink(Path.of("/proc", Integer.toString(c.pid()), "ns", ns)))
                        .as(ns).isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns", ns)));
            }
            assertThat(c.exec("cat", "/proc/1/cmdline").stdout()).contains("unshare-container-init");
            assertThat(c.exec("hostname").stdout().strip()).startsWith("ct-");
            assertThat(c.exec("sh", "-c", "echo $$ $HOME").stdout()).doesNotStartWith("1 ").endsWith(" /root\n");
        }
    }

    @Test
    void busyboxVariantRunsBusyboxSh() throws IOException {
        try (UnshareContainer c = UnshareContainer.withBusybox()) {
            assertThat(Files.readSymbolicLink(c.root().resolve("bin/sh"))).isEqualTo(Path.of("/bin/busybox"));
            assertThat(c.exec("sh", "-c", "readlink /proc/$$/exe").stdout().strip()).isEqualTo("/bin/busybox");
            assertThat(c.exec("ls", "/usr/lib").exitCode()).as("no host tools inside").isNotZero();
        }
    }

    @Test
    void hostToolsVariantRunsTheHostShellWithReadOnlyUsr() throws IOException {
        try (UnshareContainer c = UnshareContainer.withHostTools()) {
            String shell = c.exec("sh", "-c", "readlink /proc/$$/exe").stdout().strip();
            assertThat(shell).isEqualTo(Path.of("/bin/sh").toRealPath().toString()); // dash on Debian
            ExecResult touch = c.exec("touch", "/usr/phoenix-cast-must-not-exist");
            assertThat(touch.exitCode()).isNotZero();
            assertThat(touch.stderr()).contains("Read-only");
        }
    }

    @ParameterizedTest
    @EnumSource(UnshareContainer.Rootfs.class)
    void passesStdinAndReportsExitCodesAndStderr(UnshareContainer.Rootfs rootfs) throws IOException {
        try (UnshareContainer c = start(rootfs)) {
            ExecResult r = c.execWithStdin("set -eu\necho out\necho err >&2\nexit 3\n", "sh", "-s");
            assertThat(r).isEqualTo(new ExecResult(3, "out\n", "err\n"));
        }
    }

    @Test
    void timesOutAndKillsWhatItStartedInside() throws IOException {
        try (UnshareContainer c = UnshareContainer.withBusybox()) {
            assertThatThrownBy(() -> c.exec(Duration.ofMillis(300), "sleep", "60"))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("timed out");
            assertThat(c.exec("sh", "-c", "ps | grep -c '[s]leep 60' || :").stdout().strip()).isEqualTo("0");
        }
    }

    @ParameterizedTest
    @EnumSource(UnshareContainer.Rootfs.class)
    void killEndsEveryProcessAndCloseLeavesNothingBehind(UnshareContainer.Rootfs rootfs) throws IOException {
        UnshareContainer c = start(rootfs);
        Path dir = c.root().getParent().toRealPath();
        int pid = c.pid();
        c.exec("sh", "-c", "sleep 600 >/dev/null 2>&1 & ln -s / /srv/host-root; ln -s /etc /srv/etc");

        c.kill();
        assertThat(c.isAlive()).isFalse();
        assertThat(UnshareContainer.isLive(pid)).isFalse();
        c.close();
        c.close(); // idempotent

        assertThat(dir).doesNotExist();
        assertThat(TestMounts.beneath(dir)).isEmpty();
        assertThat(Path.of("/etc/passwd")).exists();
        assertThat(ProcessHandle.allProcesses().map(h -> h.info().commandLine().orElse(""))
                .filter(l -> l.contains("sleep 600"))).isEmpty();
    }

    @Test
    void cleansUpAfterAFailedStart() throws IOException {
        long before = tempDirs();
        assertThatThrownBy(() -> UnshareContainer.start(UnshareContainer.Rootfs.HOST_TOOLS, "bad/name"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("invalid hostname: bad/name");
        assertThat(tempDirs()).isEqualTo(before);
    }

    private static long tempDirs() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("phoenix-cast-ct-")).count();
        }
    }
}
