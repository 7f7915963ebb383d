package org.phoenixcast.runtime;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.phoenixcast.model.ContainerName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * castd's embedded default runtime: sandboxes under {@code STATE/sandboxes/NAME/}, each a real
 * container (own mount, PID, UTS and IPC namespaces, pivot_root into {@code root/}) built from
 * host tools only (util-linux unshare, nsenter, mount, sh), so phoenix-cast can be tried on a
 * bare host with no container runtime.
 *
 * <p>Contents of a sandbox: the host's /usr, /bin, /sbin, /lib* bound read-only (nosuid,nodev),
 * or the same symlinks on a merged-/usr host; its own persistent /etc (seeded once), /srv, /var,
 * /root, /home; a fresh tmpfs /tmp, /run and /dev (null, zero, full, random, urandom, tty bound
 * in) and its own /proc on every start. Its init survives the process that started it.
 *
 * <p>Security scope: a sandbox shares the host's user namespace, so its root user is host root
 * with every capability; it can undo the read-only binds, mknod a disk, or leave the sandbox.
 * It is a convenience runtime for trying phoenix-cast, not an isolation boundary. castd must
 * still treat it as a hostile guest like any other. The host-side code here never follows a
 * symlink inside a root directory, and only touches a root directory while its sandbox is stopped.
 *
 * <p>Lifecycle methods are serialised per state directory, across threads and processes (a lock
 * file), so two castctl runs cannot start the same sandbox twice. Thread-safe.
 */
public final class Sandboxes {
    private static final Logger LOG = LoggerFactory.getLogger(Sandboxes.class);
    /** Long enough for the init's TERM trap to run; short enough for an interactive castctl. */
    public static final Duration DEFAULT_STOP_GRACE = Duration.ofSeconds(3);
    /** After SIGKILL the kernel tears the namespace down in milliseconds; this bounds a stuck D state. */
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final Map<Path, Object> JVM_LOCKS = new ConcurrentHashMap<>();

    private final Path stateDir;
    private final Duration stopGrace;
    private final SandboxRootfs rootfs;

    /** @param stateDir castd's state directory; created root-only (0700) if missing */
    public Sandboxes(Path stateDir) {
        this(stateDir, DEFAULT_STOP_GRACE);
    }

    public Sandboxes(Path stateDir, Duration stopGrace) {
        if (stateDir == null || !stateDir.isAbsolute()) {
            throw new IllegalArgumentException("state directory must be an absolute path: " + stateDir);
        }
        if (stopGrace == null || stopGrace.isNegative()) {
            throw new IllegalArgumentException("stop grace must be zero or positive: " + stopGrace);
        }
        this.stateDir = stateDir.normalize();
        this.stopGrace = stopGrace;
        this.rootfs = new SandboxRootfs(Path.of("/"));
    }

    /** {@code STATE/sandboxes}, which holds one directory per sandbox. */
    public Path sandboxesDir() {
        return stateDir.resolve(SandboxLayout.SANDBOXES);
    }

    /** The directory the sandbox sees as "/" (whether or not the sandbox exists). */
    /** The file holding the sandbox init's host PID while it runs; castd re-reads it to follow restarts. */
    public Path pidFile(ContainerName name) {
        return SandboxLayout.of(stateDir, name).pidFile();
    }

    public Path root(ContainerName name) {
        return SandboxLayout.of(stateDir, name).root();
    }

    /**
     * Builds a new sandbox's root directory and starts it.
     *
     * @return the host PID of its init
     * @throws SandboxException naming the sandbox if it already exists or the start fails (the
     *                          root directory is kept then, so {@link #start} may retry)
     */
    public int create(ContainerName name) throws SandboxException {
        SandboxLayout layout = SandboxLayout.of(stateDir, name);
        return locked(name, () -> {
            try {
                Files.createDirectory(layout.dir(), PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                throw new SandboxException(name, "already exists at " + layout.dir());
            } catch (IOException e) {
                throw new SandboxException(name, "cannot create " + layout.dir(), e);
            }
            try {
                rootfs.seed(layout.root(), name);
            } catch (IOException e) {
                throw new SandboxException(name, "cannot build root directory " + layout.root(), e);
            }
            return startLocked(layout);
        });
    }

    /**
     * Starts a stopped sandbox; returns once its pid file names a fully set up init.
     *
     * @return the host PID of its init
     * @throws SandboxException if it does not exist, is already running, or fails to start
     */
    public int start(ContainerName name) throws SandboxException {
        SandboxLayout layout = existing(name);
        return locked(name, () -> startLocked(layout));
    }

    /** Stops the sandbox if it runs (SIGTERM, then SIGKILL after the grace); idempotent. */
    public void stop(ContainerName name) throws SandboxException {
        SandboxLayout layout = existing(name);
        locked(name, () -> {
            stopLocked(layout);
            return 0;
        });
    }

    /** Stops and starts again; root directory contents (/etc, /srv, /var, ...) persist, /tmp does not. */
    public int restart(ContainerName name) throws SandboxException {
        SandboxLayout layout = existing(name);
        return locked(name, () -> {
            stopLocked(layout);
            return startLocked(layout);
        });
    }

    /**
     * Stops the sandbox and deletes its directory. Host mounts beneath it (normally none: the
     * sandbox's own mounts live in its namespace) are detached first; the delete never follows
     * a symlink and never enters a mount point. Idempotent for a sandbox that does not exist.
     */
    public void remove(ContainerName name) throws SandboxException {
        SandboxLayout layout = SandboxLayout.of(stateDir, name);
        locked(name, () -> {
            if (!Files.exists(layout.dir(), LinkOption.NOFOLLOW_LINKS)) return 0;
            stopLocked(layout);
            try {
                Path dir = layout.dir().toRealPath(); // mountinfo shows real paths
                HostMounts.detachAllBeneath(name, dir);
                TreeRemover.delete(dir, new HashSet<>(HostMounts.beneath(dir)));
            } catch (SandboxException e) {
                throw e;
            } catch (IOException e) {
                throw new SandboxException(name, "cannot delete " + layout.dir(), e);
            }
            LOG.info("removed sandbox {}", name);
            return 0;
        });
    }

    /** Every sandbox under the state directory, sorted by name; directories with invalid names are skipped. */
    public List<SandboxInfo> list() throws IOException {
        List<SandboxInfo> out = new ArrayList<>();
        Path dir = sandboxesDir();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) return out;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String fileName = entry.getFileName().toString();
                if (!ContainerName.isValidBare(fileName) || !Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) continue;
                ContainerName name = ContainerName.parse(fileName);
                out.add(new SandboxInfo(name, SandboxLayout.of(stateDir, name).root(), pid(name)));
            }
        }
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }

    /**
     * The host PID of the sandbox's init if it runs. A pid file naming a dead process, a zombie,
     * or a process that is not this sandbox's init (PID reuse) means "stopped".
     */
    public OptionalInt pid(ContainerName name) {
        SandboxLayout layout = SandboxLayout.of(stateDir, name);
        if (!Files.isRegularFile(layout.pidFile(), LinkOption.NOFOLLOW_LINKS)) return OptionalInt.empty();
        int pid;
        try {
            pid = SandboxLauncher.readPid(layout);
        } catch (SandboxException e) {
            LOG.warn("{}; treating it as stopped", e.getMessage());
            return OptionalInt.empty();
        }
        return InitProcess.isInitOf(pid, name) ? OptionalInt.of(pid) : OptionalInt.empty();
    }

    /**
     * A command that runs {@code command} inside the running sandbox (all its namespaces, its
     * root and working directory) with a clean environment (PATH, HOME=/root). The caller sets
     * up redirects and starts it.
     * NOTE: the PID is checked here, not pinned; if the sandbox stops and the PID is reused
     * before the caller starts the process, nsenter enters that other process. Entering by
     * pidfd (castd's native layer) would close this.
     *
     * @throws SandboxException if the sandbox is not running
     */
    public ProcessBuilder exec(ContainerName name, List<String> command) throws SandboxException {
        if (command == null || command.isEmpty()) throw new IllegalArgumentException("command must not be empty");
        int pid = pid(name).orElseThrow(() -> new SandboxException(name, "not running; cannot exec " + command));
        List<String> argv = new ArrayList<>(List.of("nsenter", "--target", Integer.toString(pid),
                "--mount", "--uts", "--ipc", "--pid", "--root", "--wd", "--"));
        argv.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().clear();
        pb.environment().put("PATH", SandboxLauncher.PATH);
        pb.environment().put("HOME", "/root");
        return pb;
    }

    private int startLocked(SandboxLayout layout) throws SandboxException {
        ContainerName name = layout.name();
        OptionalInt running = pid(name);
        if (running.isPresent()) {
            throw new SandboxException(name, "already running as PID " + running.getAsInt());
        }
        List<String> binds;
        try {
            Files.deleteIfExists(layout.pidFile()); // stale: names a dead process
            binds = rootfs.prepareStart(layout.root());
        } catch (IOException e) {
            throw new SandboxException(name, "cannot prepare " + layout.root(), e);
        }
        long t0 = System.nanoTime();
        int pid = SandboxLauncher.launch(layout, binds);
        LOG.info("started sandbox {} as PID {} in {} ms", name, pid,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        return pid;
    }

    private void stopLocked(SandboxLayout layout) throws SandboxException {
        ContainerName name = layout.name();
        OptionalInt running = pid(name);
        if (running.isPresent()) {
            int pid = running.getAsInt();
            InitProcess.signal(pid, InitProcess.Stop.GRACEFUL);
            if (!awaitGone(pid, stopGrace)) {
                LOG.warn("sandbox {} (PID {}) ignored SIGTERM for {}; killing it", name, pid, stopGrace);
                InitProcess.signal(pid, InitProcess.Stop.FORCED);
                if (!awaitGone(pid, KILL_WAIT)) {
                    throw new SandboxException(name, "PID " + pid + " still alive " + KILL_WAIT + " after SIGKILL");
                }
            }
            LOG.info("stopped sandbox {} (PID {})", name, pid);
        }
        try {
            Files.deleteIfExists(layout.pidFile());
        } catch (IOException e) {
            throw new SandboxException(name, "cannot remove pid file", e);
        }
    }

    private static boolean awaitGone(int pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (InitProcess.isLive(pid)) {
            if (System.nanoTime() - deadline > 0) return false;
            LockSupport.parkNanos(POLL_NANOS);
        }
        return true;
    }

    private SandboxLayout existing(ContainerName name) throws SandboxException {
        SandboxLayout layout = SandboxLayout.of(stateDir, name);
        if (!Files.isDirectory(layout.root(), LinkOption.NOFOLLOW_LINKS)) {
            throw new SandboxException(name, "does not exist (no " + layout.root() + ")");
        }
        return layout;
    }

    /** STATE and STATE/sandboxes, created root-only: host users must not reach any sandbox root. */
    private void ensureStateDirs() throws IOException {
        for (Path dir : List.of(stateDir, sandboxesDir())) {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
                SandboxRootfs.chmod(dir, 0700);
            } else if (((Integer) Files.getAttribute(dir, "unix:mode") & 077) != 0) {
                // The admin chose these modes; say so rather than silently change them.
                LOG.warn("{} is accessible to users other than root; sandbox roots beneath it may be reachable", dir);
            }
        }
    }

    private interface LockedAction {
        int run() throws SandboxException;
    }

    /**
     * Runs {@code action} holding this state directory's lifecycle lock: a JVM-wide monitor
     * (FileLock is per process and throws on overlap within one JVM) plus an fcntl lock on
     * {@code STATE/sandboxes/.lock} against other castctl processes. A lock, not a guard: it
     * is released when the process dies.
     */
    private int locked(ContainerName name, LockedAction action) throws SandboxException {
        Path lockFile = sandboxesDir().resolve(".lock");
        synchronized (JVM_LOCKS.computeIfAbsent(lockFile, k -> new Object())) {
            try {
                ensureStateDirs();
            } catch (IOException e) {
                throw new SandboxException(name, "cannot create state directory " + stateDir, e);
            }
            try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
                 FileLock ignored = ch.lock()) {
                return action.run();
            } catch (SandboxException e) {
                throw e;
            } catch (IOException e) {
                throw new SandboxException(name, "cannot lock " + lockFile, e);
            }
        }
    }
}
