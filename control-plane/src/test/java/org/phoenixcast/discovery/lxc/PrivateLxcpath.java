package org.phoenixcast.discovery.lxc;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.phoenixcast.testing.TestMounts;

/**
 * A private lxcpath in a temp directory with busybox containers, driven only with LXC's own
 * tools (lxc-start -d, lxc-stop, lxc-info, lxc-destroy), so a castd or adapter under test sees
 * only these containers. {@link #close()} stops and destroys every container, tells this
 * lxcpath's lxc-monitord to quit and deletes the directory and LXC's run-time directories for
 * it, even after a failed test; it never throws. A shutdown hook closes what a test forgot.
 * Used by LxcAdapterIT here and by the tests module's LxcFixture.
 */
public final class PrivateLxcpath implements AutoCloseable {
    /** Host uid and gid of an unprivileged container's root ({@code lxc.idmap = u 0 100000 65536}). */
    public static final int UNPRIVILEGED_ROOT = 100_000;
    /** lxc-start/stop finish in well under a second; this only bounds a wedged one. */
    private static final long TOOL_TIMEOUT_SECONDS = 30;
    /** A namespace init ignores signals it has no handler for: halt with TERM, which the init traps. */
    private static final String INIT = """
            #!/bin/sh
            trap 'exit 0' TERM INT
            while :; do sleep 2147483647 & wait $! || :; done
            """;
    private static final Set<PrivateLxcpath> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> List.copyOf(OPEN).forEach(PrivateLxcpath::close),
                "private-lxcpath-cleanup"));
    }

    /** Builds a container's root file system in {@code dir}, owned by {@code ownerId} when it is > 0. */
    @FunctionalInterface
    public interface Rootfs {
        void build(Path dir, int ownerId) throws IOException;
    }

    private final Path lxcpath;
    private final Set<String> names = ConcurrentHashMap.newKeySet();
    private boolean closed;

    private PrivateLxcpath(Path lxcpath) {
        this.lxcpath = lxcpath;
    }

    public static PrivateLxcpath create() throws IOException {
        Path dir = Files.createTempDirectory("phoenix-cast-lxc-");
        // an unprivileged container's root (host uid 100000) must pass through to its rootfs
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        PrivateLxcpath p = new PrivateLxcpath(dir);
        OPEN.add(p);
        return p;
    }

    /** A static busybox, the applets the tests use, /sbin/init that waits for SIGTERM. */
    static void minimalRootfs(Path rootfs, int ownerId) throws IOException {
        for (String d : List.of("bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "root", "run")) {
            Files.createDirectories(rootfs.resolve(d));
        }
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
        for (String applet : List.of("sh", "sleep", "cat", "ls", "mount")) {
            Files.createSymbolicLink(rootfs.resolve("bin").resolve(applet), Path.of("busybox"));
        }
        Files.writeString(rootfs.resolve("sbin/init"), INIT);
        Files.setPosixFilePermissions(rootfs.resolve("sbin/init"), PosixFilePermissions.fromString("rwxr-xr-x"));
        if (ownerId > 0) run(true, "chown", "-R", "-h", ownerId + ":" + ownerId, rootfs.toString());
    }

    public Path lxcpath() {
        return lxcpath;
    }

    /** The container's directory, holding its config and rootfs. */
    public Path dir(String name) {
        return lxcpath.resolve(name);
    }

    /**
     * Writes {@code name}'s rootfs with {@code rootfs} and its config (the minimal config of
     * platform-notes.md); unprivileged maps container root to host 100000 (65536 ids) and first
     * makes sure /etc/subuid and /etc/subgid allow it.
     */
    public Path define(String name, boolean unprivileged, Rootfs rootfs) throws IOException {
        if (!names.add(name)) throw new IllegalArgumentException("container " + name + " is defined already");
        Path dir = Files.createDirectories(dir(name));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        StringBuilder config = new StringBuilder("lxc.include = /usr/share/lxc/config/common.conf\n");
        if (unprivileged) {
            SubordinateIds.ensureRootRange(PrivateLxcpath.class.getSimpleName());
            config.append("lxc.include = /usr/share/lxc/config/userns.conf\n")
                    .append("lxc.idmap = u 0 100000 65536\n")
                    .append("lxc.idmap = g 0 100000 65536\n");
        }
        rootfs.build(dir.resolve("rootfs"), unprivileged ? UNPRIVILEGED_ROOT : 0);
        config.append("lxc.rootfs.path = dir:").append(dir.resolve("rootfs")).append('\n')
                .append("lxc.uts.name = ").append(name).append('\n')
                .append("lxc.net.0.type = empty\n")
                .append("lxc.init.cmd = /sbin/init\n")
                .append("lxc.signal.halt = SIGTERM\n")
                .append("lxc.tty.max = 0\n")
                .append("lxc.console.path = none\n");
        Files.writeString(dir.resolve("config"), config);
        return dir;
    }

    /** Defines a container on {@link #minimalRootfs}. */
    void define(String name, boolean unprivileged) throws IOException {
        define(name, unprivileged, PrivateLxcpath::minimalRootfs);
    }

    /**
     * lxc-start -d (LXC returns once the container is RUNNING), then waits until init has
     * installed its SIGTERM handler: a namespace init drops signals it has no handler for, so an
     * lxc-stop right after the start would otherwise wait its whole timeout.
     */
    public void start(String name) throws IOException {
        run(true, "lxc-start", "--lxcpath=" + lxcpath, "--name=" + name, "-d",
                "--logfile=" + lxcpath.resolve(name).resolve("start.log"), "--logpriority=WARN");
        int pid = pid(name);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(2)).until(() -> catchesTerm(pid));
    }

    /** True once the process has a SIGTERM handler (bit 15 of SigCgt in /proc/PID/status). */
    static boolean catchesTerm(int pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("SigCgt:")) return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & (1L << 14)) != 0;
        }
        return false;
    }

    /** lxc-stop (SIGTERM to init, 10 s), then lxc-stop -k if that failed. */
    public void stop(String name) throws IOException {
        String soft = run(false, "lxc-stop", "--lxcpath=" + lxcpath, "--name=" + name, "--timeout=10");
        if (soft != null) return;
        run(true, "lxc-stop", "--lxcpath=" + lxcpath, "--name=" + name, "--kill");
    }

    /** The init PID as lxc-info reports it; an IOException if the container does not run. */
    public int pid(String name) throws IOException {
        return runningPid(name).orElseThrow(() -> new IOException(name + " is not running"));
    }

    /** The init PID as lxc-info reports it, or empty if the container does not run. */
    public OptionalInt runningPid(String name) throws IOException {
        String out = run(true, "lxc-info", "--lxcpath=" + lxcpath, "--name=" + name, "-p", "-H").strip();
        return out.isEmpty() ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(out));
    }

    /** lxc-stop --kill (if it runs) and lxc-destroy; the directory goes even if LXC fails. */
    public void destroy(String name) throws IOException {
        run(false, "lxc-stop", "--lxcpath=" + lxcpath, "--name=" + name, "--kill");
        String destroyed = run(false, "lxc-destroy", "--lxcpath=" + lxcpath, "--name=" + name);
        names.remove(name);
        if (destroyed == null) TestMounts.deleteTree(dir(name));
    }

    /** lxc-monitor -Q: lxc-monitord for this lxcpath quits, and with it every lxc-monitor client. */
    public void quitMonitord() throws IOException {
        run(true, "lxc-monitor", "--lxcpath=" + lxcpath, "--quit");
    }

    /** Runs a tool; its output, or null (failOnError false) / an IOException when it failed. */
    static String run(boolean failOnError, String... argv) throws IOException {
        // Output goes to a file: lxc-start -d leaves a daemon behind that must not hold our pipe.
        File out = File.createTempFile("phoenix-cast-lxc-it-", ".out");
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", argv) + " timed out");
            }
            String text = Files.readString(out.toPath(), StandardCharsets.UTF_8);
            if (p.exitValue() == 0) return text;
            if (!failOnError) return null;
            throw new IOException(String.join(" ", argv) + " exited with status " + p.exitValue() + ": " + text);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            Files.deleteIfExists(out.toPath());
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        List<String> problems = new ArrayList<>();
        for (String name : List.copyOf(names)) {
            try {
                destroy(name);
            } catch (IOException | RuntimeException e) {
                problems.add(name + ": " + e.getMessage());
            }
        }
        try {
            run(false, "lxc-monitor", "--lxcpath=" + lxcpath, "--quit");
        } catch (IOException | RuntimeException e) {
            problems.add("lxc-monitor --quit: " + e.getMessage());
        }
        // LXC keeps its monitor FIFO and lock files under /run/lxc/<lxcpath> and /run/lxc/lock/<lxcpath>.
        for (Path dir : List.of(lxcpath, Path.of("/run/lxc" + lxcpath), Path.of("/run/lxc/lock" + lxcpath))) {
            try {
                TestMounts.deleteTree(dir);
            } catch (IOException | RuntimeException e) {
                problems.add("delete " + dir + ": " + e);
            }
        }
        OPEN.remove(this);
        if (!problems.isEmpty()) System.err.println("PrivateLxcpath " + lxcpath + " cleanup problems: " + problems);
    }
}
