package org.phoenixcast.it.support;

import org.phoenixcast.linux.ProcessStat;
import org.phoenixcast.testing.RequiresRoot;
import org.phoenixcast.testing.TestMounts;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.awaitility.Awaitility.await;

/**
 * A plain test container, independent of castd's own sandbox code: {@code unshare --mount --uts
 * --ipc --pid --fork --propagation private}, pivot_root into a private root in a temp directory,
 * a fresh /proc, /tmp and minimal /dev. Two root file systems, so guest scripts can be run under
 * both shells the project supports:
 * <ul>
 *   <li>{@link Rootfs#HOST_TOOLS}: the host's /usr, /bin, /sbin, /lib* bound read-only; /bin/sh is
 *       the host's (dash on Debian).</li>
 *   <li>{@link Rootfs#BUSYBOX}: only a static busybox, installed with {@code busybox --install -s}
 *       into /bin; /bin/sh is busybox sh.</li>
 * </ul>
 * Needs root, unshare, nsenter (and busybox for BUSYBOX); guard tests with {@link RequiresRoot}.
 * {@link #close()} kills every process of the container and deletes its directory even after a
 * failed start; a shutdown hook closes what tests forgot.
 */
public final class UnshareContainer implements AutoCloseable {
    public enum Rootfs { HOST_TOOLS, BUSYBOX }

    public static final Duration DEFAULT_EXEC_TIMEOUT = Duration.ofSeconds(30);
    /** Starts take ~50 ms; ten seconds only bounds a wedged mount. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static final List<String> HOST_SYSTEM_DIRS = List.of("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32");
    private static final Set<UnshareContainer> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> List.copyOf(OPEN).forEach(UnshareContainer::close),
                "unshare-container-cleanup"));
    }

    /** $1 hostname, $2 root, $3 "busybox" or "host", then host dirs to bind read-only. */
    private static final String SETUP = """
            set -eu
            name=$1 root=$2 kind=$3
            shift 3
            case $name in
              ''|*[!A-Za-z0-9.-]*) echo "invalid hostname: $name" >&2; exit 1 ;;
            esac
            read -r hostpid _ < /proc/self/stat
            mount --bind "$root" "$root"
            for d in "$@"; do
              mount --bind "/$d" "$root/$d"
              mount -o remount,bind,ro,nosuid,nodev "$root/$d"
            done
            mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/tmp"
            mount -t tmpfs -o mode=0755,nosuid,size=64k tmpfs "$root/dev"
            for n in null zero full random urandom tty; do
              : > "$root/dev/$n"
              mount --bind "/dev/$n" "$root/dev/$n"
            done
            mkdir "$root/dev/pts" "$root/dev/shm"
            ln -s /proc/self/fd "$root/dev/fd"
            ln -s /proc/self/fd/0 "$root/dev/stdin"
            ln -s /proc/self/fd/1 "$root/dev/stdout"
            ln -s /proc/self/fd/2 "$root/dev/stderr"
            mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
            printf '%s' "$name" > "$root/proc/sys/kernel/hostname"
            cd "$root"
            pivot_root . .
            if [ "$kind" = busybox ]; then /bin/busybox --install -s /bin; fi
            umount -l .
            cd /
            exec /bin/sh -c "$INIT" unshare-container-init "$hostpid"
            """;

    /** PID 1: traps TERM (a namespace init drops unhandled signals), says ready, reaps orphans. */
    private static final String INIT = """
            trap 'exit 0' TERM INT
            echo "ready $1"
            exec >/dev/null
            while :; do sleep 2147483647 & wait $! || :; done
            """;

    private final Rootfs rootfs;
    private final Path dir;
    private final Path root;
    private Process unshare;
    private int pid;
    private boolean closed;

    private UnshareContainer(Rootfs rootfs, Path dir) {
        this.rootfs = rootfs;
        this.dir = dir;
        this.root = dir.resolve("root");
    }

    /** Host tools bound read-only; /bin/sh is the host's shell (dash on Debian). */
    public static UnshareContainer withHostTools() throws IOException {
        return start(Rootfs.HOST_TOOLS, "host-tools-ct");
    }

    /** A static-busybox root file system; /bin/sh is busybox sh. */
    public static UnshareContainer withBusybox() throws IOException {
        return start(Rootfs.BUSYBOX, "busybox-ct");
    }

    /**
     * Starts a container whose hostname is {@code hostname} (letters, digits, '.', '-'); returns
     * once its init runs.
     */
    public static UnshareContainer start(Rootfs rootfs, String hostname) throws IOException {
        UnshareContainer c = new UnshareContainer(rootfs, Files.createTempDirectory("phoenix-cast-ct-"));
        OPEN.add(c);
        try {
            c.launch(hostname);
            return c;
        } catch (IOException | RuntimeException | Error e) {
            c.close();
            throw e;
        }
    }

    public Rootfs rootfs() {
        return rootfs;
    }

    /** Host PID of the container's init (its PID 1). */
    public int pid() {
        return pid;
    }

    /** The container's "/" as a host path, for tests to prepare or inspect files (test code is trusted). */
    public Path root() {
        return root;
    }

    /** True while the init runs (not a zombie). */
    public boolean isAlive() {
        return pid > 0 && isLive(pid);
    }

    public ExecResult exec(String... command) {
        return exec(DEFAULT_EXEC_TIMEOUT, null, List.of(command));
    }

    public ExecResult exec(Duration timeout, String... command) {
        return exec(timeout, null, List.of(command));
    }

    /** Runs {@code command} inside with {@code stdin} as its standard input. */
    public ExecResult execWithStdin(String stdin, String... command) {
        return exec(DEFAULT_EXEC_TIMEOUT, stdin, List.of(command));
    }

    /**
     * Runs a command in all the container's namespaces, root and working directory, with
     * PATH and HOME=/root only. On timeout everything it started is killed and an
     * {@link IllegalStateException} says what it printed so far.
     *
     * @param stdin standard input for the command, or null for /dev/null
     */
    public ExecResult exec(Duration timeout, String stdin, List<String> command) {
        if (!isAlive()) throw new IllegalStateException("container " + pid + " is not running");
        return Nsenter.exec(pid, false, timeout, stdin, command);
    }

    /** SIGKILLs the init, which takes every process of the container along, and waits for it. */
    public void kill() {
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            awaitGone(pid);
        }
        if (unshare != null) {
            unshare.destroyForcibly();
            try {
                unshare.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Kills the container, detaches any host mount left under its directory, deletes it. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            kill();
        } finally {
            try {
                TestMounts.detachAllBeneath(dir);
                TestMounts.deleteTree(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot clean up test container in " + dir, e);
            } finally {
                OPEN.remove(this);
            }
        }
    }

    private void launch(String hostname) throws IOException {
        List<String> binds = prepareRoot(hostname);
        List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "--uts", "--ipc", "--pid", "--fork",
                "--kill-child", "--propagation", "private", "--", "/bin/sh", "-c", SETUP, "unshare-container-setup",
                hostname, root.toString(), rootfs == Rootfs.BUSYBOX ? "busybox" : "host"));
        cmd.addAll(binds);
        Path console = dir.resolve("console.log");
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.appendTo(console.toFile()));
        pb.environment().clear();
        pb.environment().put("PATH", PATH);
        pb.environment().put("INIT", INIT);
        unshare = pb.start();
        BufferedReader stdout = new BufferedReader(new InputStreamReader(unshare.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
            try {
                return stdout.readLine();
            } catch (IOException e) {
                return null;
            }
        });
        String line;
        try {
            line = ready.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting the container", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("container did not start within " + START_TIMEOUT + ": " + Files.readString(console), e);
        }
        if (line == null || !line.startsWith("ready ")) {
            throw new IOException("container setup failed (" + line + "): " + Files.readString(console));
        }
        pid = Integer.parseInt(line.substring("ready ".length()).strip());
    }

    /** Builds the root directory; returns the host directories to bind (HOST_TOOLS only). */
    private List<String> prepareRoot(String hostname) throws IOException {
        Files.createDirectory(root);
        for (String d : List.of("etc", "tmp", "dev", "proc", "root", "srv", "home", "var")) {
            Files.createDirectory(root.resolve(d));
        }
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\n");
        Files.writeString(root.resolve("etc/hostname"), hostname + "\n");
        List<String> binds = new ArrayList<>();
        if (rootfs == Rootfs.BUSYBOX) {
            Files.createDirectories(root.resolve("usr"));
            Files.createDirectory(root.resolve("bin"));
            Files.createSymbolicLink(root.resolve("sbin"), Path.of("bin"));
            Files.createSymbolicLink(root.resolve("usr/bin"), Path.of("../bin"));
            Files.createSymbolicLink(root.resolve("usr/sbin"), Path.of("../bin"));
            Path busybox = root.resolve("bin/busybox");
            Files.copy(BusyboxRootfs.hostBusybox(), busybox);
            Files.setAttribute(busybox, "unix:mode", 0755);
            return binds;
        }
        for (String d : HOST_SYSTEM_DIRS) {
            Path host = Path.of("/", d);
            if (Files.isSymbolicLink(host)) {
                Files.createSymbolicLink(root.resolve(d), Files.readSymbolicLink(host));
            } else if (Files.isDirectory(host)) {
                Files.createDirectory(root.resolve(d));
                binds.add(d);
            }
        }
        return binds;
    }

    static boolean isLive(int pid) {
        try {
            return ProcessStat.read(pid).filter(ProcessStat::running).isPresent();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static void awaitGone(int pid) {
        await("PID " + pid + " gone").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(2))
                .until(() -> !isLive(pid));
    }
}
