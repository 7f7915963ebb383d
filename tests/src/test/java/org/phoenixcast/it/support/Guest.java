package org.phoenixcast.it.support;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.phoenixcast.testing.TestMounts;

/**
 * A container registered with a {@link CastdProcess}, seen from inside: run shell snippets there
 * (so the guest commands run under that container's /bin/sh) and read its mount table. Either an
 * {@link UnshareContainer} registered by {@code castctl container add --pid} (busybox sh or dash),
 * or a castd sandbox (dash, the host's /bin/sh) made by {@code castctl sandbox create}.
 * {@link #close()} kills the container (or removes the sandbox) even after a failed test.
 */
public final class Guest implements AutoCloseable {
    /** castd's worker resyncs every second; this bounds a slow start on a loaded machine. */
    public static final Duration SETTLE = Duration.ofSeconds(20);
    private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /** Which shell runs the guest commands, and so which kind of container the guest is. */
    public enum Shell {
        /** An {@link UnshareContainer} with a static-busybox root: /bin/sh is busybox sh. */
        BUSYBOX,
        /** An {@link UnshareContainer} with the host's tools: /bin/sh is dash on Debian. */
        DASH
    }

    private final CastdProcess castd;
    private final String name;
    private final UnshareContainer container; // null for a sandbox
    private boolean closed;

    private Guest(CastdProcess castd, String name, UnshareContainer container) {
        this.castd = castd;
        this.name = name;
        this.container = container;
    }

    /** How a test container is registered: both end in the same castd command. */
    public enum Registration {
        /** {@code castctl container add NAME --pid PID}, a castctl JVM per call. */
        CASTCTL,
        /** The same command sent over castd's admin socket from the test JVM (faster). */
        ADMIN_SOCKET
    }

    /** Starts a test container with {@code shell} as its /bin/sh and registers it by PID as {@code name}. */
    public static Guest container(CastdProcess castd, String name, Shell shell) throws IOException {
        return container(castd, name, shell, Registration.ADMIN_SOCKET);
    }

    public static Guest container(CastdProcess castd, String name, Shell shell, Registration registration)
            throws IOException {
        UnshareContainer c = UnshareContainer.start(
                shell == Shell.BUSYBOX ? UnshareContainer.Rootfs.BUSYBOX : UnshareContainer.Rootfs.HOST_TOOLS, name);
        Guest guest = new Guest(castd, name, c);
        try {
            String[] add = {"container", "add", name, "--pid", String.valueOf(c.pid())};
            if (registration == Registration.CASTCTL) castd.castctlOk(add);
            else AdminSocket.callOk(castd, "", add);
            guest.awaitCommands();
            return guest;
        } catch (RuntimeException | Error e) {
            guest.close();
            throw e;
        }
    }

    /** Creates a castd sandbox (registered by its pid file; /bin/sh is the host's dash). */
    public static Guest sandbox(CastdProcess castd, String name) {
        Guest guest = new Guest(castd, name, null);
        try {
            castd.castctlOk("sandbox", "create", name);
            guest.awaitCommands();
            return guest;
        } catch (RuntimeException | Error e) {
            guest.close();
            throw e;
        }
    }

    public String name() {
        return name;
    }

    public boolean isSandbox() {
        return container == null;
    }

    /** Host PID of the container's init (a sandbox's changes when it restarts). */
    public int pid() {
        if (container != null) return container.pid();
        Path pidFile = castd.stateDir().resolve("sandboxes").resolve(name).resolve("pid");
        try {
            return Integer.parseInt(Files.readString(pidFile).strip());
        } catch (IOException e) {
            throw new UncheckedIOException("sandbox " + name + " has no pid file (not running?)", e);
        }
    }

    /** The /bin/sh the guest runs its commands with, as the kernel sees it (e.g. /bin/busybox, /usr/bin/dash). */
    public String shellExe() {
        return sh("readlink /proc/$$/exe").stdout().strip();
    }

    /** Runs {@code script} with the container's /bin/sh inside all its namespaces and root. */
    public ExecResult sh(String script) {
        return run("/bin/sh", "-c", script);
    }

    public ExecResult run(String... command) {
        if (container != null) return container.exec(command);
        return nsenter(pid(), List.of(command));
    }

    /** Waits until castd has set up /syscmd inside: an executable caston and the status file. */
    public void awaitCommands() {
        await(name + " has /syscmd/caston and /syscmd/status").atMost(SETTLE).pollInterval(Duration.ofMillis(100))
                .until(() -> sh("test -x /syscmd/caston && test -f /syscmd/status").succeeded());
    }

    /** The guest's own mount table lines (/proc/PID/mountinfo of its init; mount points as the guest sees them). */
    public List<String> mountinfo() {
        try {
            return Files.readAllLines(Path.of("/proc", Integer.toString(pid()), "mountinfo"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The topmost mountinfo line whose mount point is {@code target}, if any. */
    public Optional<String> mountAt(String target) {
        Optional<String> last = Optional.empty();
        for (String line : mountinfo()) {
            if (TestMounts.mountPointOf(line).equals(target)) last = Optional.of(line);
        }
        return last;
    }

    /** Per-mount options of the topmost mount at {@code target} (field 6 of mountinfo), e.g. [ro, nosuid, nodev]. */
    public List<String> mountOptions(String target) {
        return mountAt(target).map(l -> List.of(l.split(" ")[5].split(","))).orElse(List.of());
    }

    public boolean isMounted(String target) {
        return mountAt(target).isPresent();
    }

    /** Kills the test container, or removes the sandbox. Idempotent; never throws for a sandbox already gone. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (container != null) {
            container.close();
        } else {
            castd.castctl("sandbox", "rm", name);
        }
    }

    private static ExecResult nsenter(int pid, List<String> command) {
        List<String> argv = new ArrayList<>(List.of("nsenter", "--target", Integer.toString(pid),
                "--mount", "--uts", "--ipc", "--pid", "--root", "--wd", "--"));
        argv.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().clear();
        pb.environment().put("PATH", PATH);
        pb.environment().put("HOME", "/root");
        try {
            Process p = pb.start();
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            if (!p.waitFor(UnshareContainer.DEFAULT_EXEC_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " timed out in PID " + pid);
            }
            return new ExecResult(p.exitValue(), new String(out.get(), StandardCharsets.UTF_8),
                    new String(err.get(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run nsenter", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("cannot read the output of " + command, e);
        }
    }

    private static byte[] readAll(java.io.InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
