package org.phoenixcast.runtime;

import org.phoenixcast.testing.RequiresRoot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.phoenixcast.model.ContainerName;

/** The embedded sandbox runtime against the real kernel: namespaces, mounts, processes. */
@RequiresRoot(tools = {"unshare", "nsenter", "setsid", "mount", "umount", "pivot_root"})
class SandboxesIT {
    private static final ContainerName BOX = ContainerName.parse("box1");
    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path tmp;
    Path state;
    Sandboxes sandboxes;

    @BeforeEach
    void newStateDirectory() {
        state = tmp.resolve("state");
        sandboxes = new Sandboxes(state, Duration.ofSeconds(2));
    }

    @AfterEach
    void removeEverything() throws IOException {
        for (SandboxInfo s : sandboxes.list()) sandboxes.remove(s.name());
        assertThat(mountsUnder(state)).isEmpty();
    }

    @Test
    void createStartsASandboxAndWritesItsPidFile() throws IOException {
        int pid = sandboxes.create(BOX);

        Path pidFile = state.resolve("sandboxes/box1/pid");
        assertThat(pidFile).hasContent(Integer.toString(pid));
        assertThat(ProcessHandle.of(pid)).hasValueSatisfying(h -> assertThat(h.isAlive()).isTrue());
        assertThat(ProcessHandle.of(pid).flatMap(ProcessHandle::parent).flatMap(h -> h.info().command()))
                .as("the pid is unshare's child, the sandbox's PID 1, not unshare").hasValueSatisfying(
                        c -> assertThat(c).endsWith("/unshare"));
        assertThat(sandboxes.pid(BOX)).hasValue(pid);
        assertThat(sandboxes.list()).containsExactly(
                new SandboxInfo(BOX, state.resolve("sandboxes/box1/root"), OptionalInt.of(pid)));
    }

    @Test
    void keepsTheStateDirectoryRootOnly() throws IOException {
        sandboxes.create(BOX);

        assertThat(mode(state)).isEqualTo(0700);
        assertThat(mode(state.resolve("sandboxes"))).isEqualTo(0700);
        assertThat(mode(state.resolve("sandboxes/box1"))).isEqualTo(0700);
        assertThat(mode(state.resolve("sandboxes/box1/root"))).isEqualTo(0755);
    }

    @Test
    void runsInItsOwnMountPidUtsAndIpcNamespaces() throws IOException {
        int pid = sandboxes.create(BOX);

        for (String ns : List.of("mnt", "pid", "uts", "ipc")) {
            assertThat(Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "ns", ns)))
                    .as(ns).isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns", ns)));
        }
    }

    @Test
    void isNamedAfterTheSandbox() throws Exception {
        sandboxes.create(BOX);

        assertThat(exec(BOX, "uname", "-n").stdout().strip()).isEqualTo("box1");
        assertThat(exec(BOX, "cat", "/etc/hostname").stdout().strip()).isEqualTo("box1");
    }

    @Test
    void execSeesTheInitAsPid1() throws Exception {
        sandboxes.create(BOX);

        Result r = exec(BOX, "cat", "/proc/1/cmdline");
        assertThat(r.stdout().split("\0")).contains(InitProcess.MARKER, "box1");
        assertThat(exec(BOX, "sh", "-c", "echo \"$HOME $PATH\"; pwd").stdout())
                .isEqualTo("/root /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n/\n");
    }

    @Test
    void seesItsOwnRootNotTheHosts() throws Exception {
        sandboxes.create(BOX);
        Files.writeString(state.resolve("sandboxes/box1/root/srv/marker"), "inside");

        assertThat(exec(BOX, "cat", "/srv/marker").stdout()).isEqualTo("inside");
        assertThat(exec(BOX, "ls", "/").stdout().split("\n")).doesNotContain("work", "old_root", "farm");
        assertThat(exec(BOX, "cat", "/proc/self/mountinfo").stdout().lines().map(l -> l.split(" ")[4]))
                .as("mount points inside").noneMatch(m -> m.contains(state.toString()) || m.contains("old"));
    }

    @Test
    void hasHostUsrReadOnlyAndSrvWritable() throws Exception {
        sandboxes.create(BOX);

        Result touchUsr = exec(BOX, "touch", "/usr/phoenix-cast-must-not-exist");
        assertThat(touchUsr.exitCode()).isNotZero();
        assertThat(touchUsr.stderr()).contains("Read-only file system");
        assertThat(Path.of("/usr/phoenix-cast-must-not-exist")).doesNotExist();
        assertThat(exec(BOX, "touch", "/srv/ok").exitCode()).isZero();
        assertThat(exec(BOX, "grep", " /usr ", "/proc/self/mountinfo").stdout()).contains("ro,nosuid,nodev");
    }

    @Test
    void hasAMinimalDev() throws Exception {
        sandboxes.create(BOX);

        assertThat(exec(BOX, "ls", "/dev").stdout().split("\n"))
                .contains("null", "zero", "full", "random", "urandom", "tty")
                .doesNotContain("vda", "sda", "mem", "kmsg");
        assertThat(exec(BOX, "sh", "-c", "echo x > /dev/null && head -c 4 /dev/urandom | wc -c").stdout().strip())
                .isEqualTo("4");
    }

    @Test
    void keepsSrvEtcAndVarButNotTmpAcrossRestart() throws Exception {
        int first = sandboxes.create(BOX);
        assertThat(exec(BOX, "sh", "-c",
                "echo kept > /srv/a && echo kept > /var/b && echo kept > /etc/c && echo gone > /tmp/d").exitCode())
                .isZero();

        int second = sandboxes.restart(BOX);

        assertThat(second).isNotEqualTo(first);
        assertThat(InitProcess.isLive(first)).isFalse();
        assertThat(exec(BOX, "cat", "/srv/a", "/var/b", "/etc/c").stdout()).isEqualTo("kept\nkept\nkept\n");
        assertThat(exec(BOX, "ls", "-A", "/tmp").stdout()).isEmpty();
    }

    @Test
    void stopEndsTheInitAndRemovesThePidFile() throws IOException {
        int pid = sandboxes.create(BOX);

        long t0 = System.nanoTime();
        sandboxes.stop(BOX);

        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("SIGTERM honoured, no SIGKILL after the 2 s grace")
                .isLessThan(Duration.ofSeconds(1));
        assertThat(InitProcess.isLive(pid)).isFalse();
        assertThat(state.resolve("sandboxes/box1/pid")).doesNotExist();
        assertThat(sandboxes.pid(BOX)).isEmpty();
        assertThat(sandboxes.list()).extracting(SandboxInfo::running).containsExactly(false);
        sandboxes.stop(BOX); // idempotent
    }

    @Test
    void treatsAPidFileNamingADeadProcessAsStopped() throws Exception {
        sandboxes.create(BOX);
        sandboxes.stop(BOX);
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor(5, TimeUnit.SECONDS);
        Files.writeString(state.resolve("sandboxes/box1/pid"), dead.pid() + "\n");

        assertThat(sandboxes.pid(BOX)).isEmpty();
        assertThat(sandboxes.start(BOX)).isPositive(); // the stale pid file does not block a start
    }

    @Test
    void treatsAPidFileNamingAnUnrelatedLiveProcessAsStopped() throws IOException {
        sandboxes.create(BOX);
        sandboxes.stop(BOX);
        Files.writeString(state.resolve("sandboxes/box1/pid"), ProcessHandle.current().pid() + "\n");

        assertThat(sandboxes.pid(BOX)).isEmpty();
        sandboxes.stop(BOX); // must not signal the unrelated process (this JVM)
    }

    @Test
    void outlivesTheProcessThatCreatedIt() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process creator = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                DetachedCreator.class.getName(), state.toString(), "box1")
                .redirectErrorStream(true).start();
        String out = new String(creator.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(creator.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(creator.exitValue()).as(out).isZero();

        int pid = Integer.parseInt(out.strip().lines().reduce((a, b) -> b).orElseThrow());
        assertThat(InitProcess.isLive(pid)).isTrue();
        assertThat(sandboxes.pid(BOX)).hasValue(pid);
        assertThat(exec(BOX, "true").exitCode()).isZero();
    }

    @Test
    void removeDeletesTheDirectoryAndLeavesNoHostMounts() throws Exception {
        sandboxes.create(BOX);
        exec(BOX, "sh", "-c", "mkdir -p /srv/deep/er && ln -s / /srv/deep/to-host-root && ln -s /etc /srv/etc-link");

        sandboxes.remove(BOX);

        assertThat(state.resolve("sandboxes/box1")).doesNotExist();
        assertThat(mountsUnder(state)).isEmpty();
        assertThat(Path.of("/etc/passwd")).exists(); // the symlinks were deleted as links
        assertThat(sandboxes.list()).isEmpty();
        sandboxes.remove(BOX); // idempotent
    }

    @Test
    void refusesToCreateAnExistingSandbox() throws IOException {
        sandboxes.create(BOX);

        assertThatThrownBy(() -> sandboxes.create(BOX))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("box1")
                .hasMessageContaining("already exists");
    }

    @Test
    void refusesToStartARunningSandbox() throws IOException {
        sandboxes.create(BOX);

        assertThatThrownBy(() -> sandboxes.start(BOX))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("box1")
                .hasMessageContaining("already running");
    }

    @Test
    void refusesToStartWhenTheGuestTurnedAMountPointIntoASymlink() throws Exception {
        sandboxes.create(BOX);
        exec(BOX, "sh", "-c", "umount /run && rmdir /run && ln -s /etc /run");
        sandboxes.stop(BOX);

        assertThatThrownBy(() -> sandboxes.start(BOX))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("box1")
                .hasMessageContaining("/run is not a directory");
    }

    @Test
    void refusesToExecInAStoppedSandbox() throws IOException {
        sandboxes.create(BOX);
        sandboxes.stop(BOX);

        assertThatThrownBy(() -> sandboxes.exec(BOX, List.of("true")))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("box1")
                .hasMessageContaining("not running");
    }

    @Test
    void refusesToStartASandboxThatDoesNotExist() {
        assertThatThrownBy(() -> sandboxes.start(ContainerName.parse("nope")))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("nope")
                .hasMessageContaining("does not exist");
    }

    static Stream<String> invalidNames() {
        return Stream.of("", "..", "../etc", "a/b", ".hidden", "-flag", "host", "a b", "x".repeat(65), "nul\0l");
    }

    @ParameterizedTest
    @MethodSource("invalidNames")
    void rejectsInvalidNamesBeforeTouchingTheHost(String unsafeName) {
        assertThatThrownBy(() -> sandboxes.create(ContainerName.parse(unsafeName)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(state).doesNotExist();
    }

    @Test
    void measuresCreateAndRestartTimes() throws Exception {
        List<Long> creates = new ArrayList<>();
        List<Long> restarts = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ContainerName name = ContainerName.parse("t" + i);
            long t0 = System.nanoTime();
            sandboxes.create(name);
            creates.add(System.nanoTime() - t0);
            t0 = System.nanoTime();
            sandboxes.restart(name);
            restarts.add(System.nanoTime() - t0);
        }
        System.out.printf("sandbox create ms: %s (median %.1f); restart ms: %s (median %.1f)%n",
                millis(creates), median(creates), millis(restarts), median(restarts));
        assertThat(median(creates)).isLessThan(2000);
    }

    // --- helpers -------------------------------------------------------------------------------

    record Result(int exitCode, String stdout, String stderr) {}

    private Result exec(ContainerName name, String... command) throws Exception {
        Process p = sandboxes.exec(name, List.of(command)).redirectInput(ProcessBuilder.Redirect.from(
                new java.io.File("/dev/null"))).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        await().atMost(EXEC_TIMEOUT).until(() -> !p.isAlive());
        return new Result(p.exitValue(), out.get(EXEC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS),
                err.get(EXEC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Host mount points at or beneath {@code dir}, from this process's mount table. */
    private static List<Path> mountsUnder(Path dir) throws IOException {
        return HostMounts.beneath(dir);
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode") & 07777;
    }

    private static List<Long> millis(List<Long> nanos) {
        return nanos.stream().map(TimeUnit.NANOSECONDS::toMillis).toList();
    }

    private static double median(List<Long> nanos) {
        long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        return sorted[sorted.length / 2] / 1e6;
    }
}
