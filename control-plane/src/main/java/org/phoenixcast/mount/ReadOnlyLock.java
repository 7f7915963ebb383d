package org.phoenixcast.mount;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.phoenixcast.linux.Errno;
import org.phoenixcast.linux.Fd;
import org.phoenixcast.linux.Kernel;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.linux.MountApi;
import org.phoenixcast.linux.NamespaceThread;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes read-only shares stay read-only against the receiver's own root (threat model item 3).
 *
 * <p>The kernel locks a mount's flags (MNT_LOCK_READONLY, _NOSUID, _NODEV, _NOEXEC, _ATIME)
 * when it copies the mount into a mount namespace owned by a less privileged user namespace,
 * clones keep the lock flags, and remount / mount_setattr refuse to clear a locked flag with
 * EPERM whoever asks. So a read-only tree is "laundered" once through such a namespace:
 *
 * <ol>
 *   <li>At start: a host staging directory is bind-mounted onto itself and made shared. A
 *       helper {@code unshare --user --map-root-user --mount --propagation slave} mounts a tiny
 *       tmpfs, binds the staging mount into it (still a slave of the host's staging peer
 *       group) and pivot_roots there; castd detaches the old root from inside (so the lock
 *       namespace pins no host mount but the staging one), opens the namespace and its root
 *       and lets the helper exit. The open namespace fd keeps the namespace alive; no process
 *       stays behind, none can die or leak.</li>
 *   <li>Per read-only inject (on the namespace thread, in one hand-off): move the detached
 *       ro,nosuid,nodev tree onto the staging slot; propagation places a LOCKED copy in the
 *       lock namespace; resolve it from the lock namespace's root fd (openat2, RESOLVE_IN_ROOT);
 *       enter the lock namespace and open_tree(OPEN_TREE_CLONE) it; prove the clone is locked
 *       (clearing MOUNT_ATTR_RDONLY must fail with EPERM); detach the host staging mount (which
 *       takes the lock namespace's copy with it). The caller then attaches the clone in the
 *       receiver as for any share.</li>
 * </ol>
 *
 * <p>Read-write shares never come here. If the lock namespace stops working (the staging mount
 * was unmounted by someone), the next read-only request rebuilds it once; if that fails too,
 * the request is refused with one line.
 */
final class ReadOnlyLock implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReadOnlyLock.class);
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final String PREFIX = "ro-lock-";
    private static final long RESOLVE = Kernel.RESOLVE_IN_ROOT | Kernel.RESOLVE_NO_MAGICLINKS | Kernel.RESOLVE_NO_SYMLINKS;
    /** In the lock namespace: the tmpfs root holds "s", the staging bind, and "old" until castd detaches it. */
    private static final String HELPER_SCRIPT = String.join("\n",
            "set -eu",
            "mount -t tmpfs -o size=64k,nr_inodes=16,mode=0700 castd-ro-lock \"$1\"",
            "mkdir \"$1/s\" \"$1/old\"",
            "mount --bind \"$2\" \"$1/s\"",
            "cd \"$1\"",
            "pivot_root . old",
            "echo ready",
            // only shell built-ins from here: the host's binaries are under /old. EOF on stdin
            // (castd closes it, or castd died) ends the helper.
            "read -r _ || true");

    private final NamespaceThread ns;
    private final Fd hostProc;
    private final Path stateDirectory;
    private final AtomicLong staged = new AtomicLong();
    private volatile State state;
    private volatile boolean closed;

    /** Everything one lock namespace consists of; replaced as a whole on rebuild. */
    private record State(Path directory, Fd stagingMount, Fd slot, Fd lockNamespace, Fd lockRoot, long lockStagingMountId,
                         long helperPid) {
        void close() {
            lockRoot.close();
            lockNamespace.close();
            slot.close();
            stagingMount.close();
        }
    }

    private ReadOnlyLock(NamespaceThread ns, Fd hostProc, Path stateDirectory) {
        this.ns = ns;
        this.hostProc = hostProc;
        this.stateDirectory = stateDirectory;
    }

    /**
     * Creates the staging area under {@code stateDirectory} (0700, created if missing) and
     * removes what a dead castd left there. {@link #open} builds the lock namespace: call it
     * after the namespace thread has warmed up (it runs a step inside the lock namespace).
     */
    static ReadOnlyLock create(NamespaceThread ns, Fd hostProc, Path stateDirectory) throws IOException {
        Path dir = stateDirectory.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        ReadOnlyLock lock = new ReadOnlyLock(ns, hostProc, dir.toRealPath());
        lock.removeStale();
        return lock;
    }

    synchronized void open() throws IOException {
        if (closed) throw new IOException("read-only lock closed");
        if (state == null) state = build();
    }

    /** How many trees went through the staging mount (tests: read-write shares never do). */
    long stagedCount() {
        return staged.get();
    }

    /** PID the helper had (it exits during start; tests check it is gone). */
    long helperPid() {
        return state.helperPid();
    }

    /** The host staging mount point (tests check the host table does not keep extra mounts). */
    Path stagingDirectory() {
        return state.directory().resolve("staging");
    }

    /** True when nothing is mounted on the slot in the lock namespace (tests: no leftovers). */
    boolean slotIsEmpty() throws LinuxException {
        State s = state;
        try (Fd copy = Kernel.openat2(s.lockRoot(), "s/slot", NamespaceSteps.DIR_PATH, RESOLVE)) {
            return Kernel.stat(copy).mountId() == s.lockStagingMountId();
        }
    }

    /**
     * A locked clone of {@code tree} (a detached tree with ro,nosuid,nodev already set), ready
     * to be attached in a receiver. Runs on the namespace thread; the caller closes the result.
     *
     * @throws MountRefused when the lock namespace cannot lock it even after a rebuild
     */
    Fd lockedClone(Fd tree) throws IOException, MountRefused {
        State s = state;
        Attempt first = attempt(s, tree);
        if (first.locked() != null) return first.locked();
        LOG.error("read-only lock failed ({}); rebuilding the lock namespace", first.problem());
        Attempt second = attempt(rebuild(s), tree);
        if (second.locked() != null) return second.locked();
        LOG.error("read-only lock failed after a rebuild: {}", second.problem());
        throw new MountRefused("read-only share: castd cannot lock it read-only right now, refused");
    }

    /** One try at a locked clone through {@code s}: the clone, or why there is none. */
    private record Attempt(Fd locked, String problem) {}

    private Attempt attempt(State s, Fd tree) throws IOException {
        try {
            staged.incrementAndGet();
            // Lent: the caller closes its tree once it stops waiting, the task uses its own copy.
            Fd locked = ns.onHost(new Fd[] {tree}, lent -> relock(s, lent[0]));
            return locked != null ? new Attempt(locked, null)
                    : new Attempt(null, "the clone from the lock namespace is not locked");
        } catch (LinuxException | IllegalStateException e) {
            return new Attempt(null, e.getMessage());
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /**
     * On the namespace thread, in the host namespace. Returns the locked clone, or null when
     * the clone turned out not to be locked (the caller refuses). The staging mount is always
     * detached before returning.
     */
    private Fd relock(State s, Fd tree) throws Exception {
        MountApi.moveOnto(tree, s.slot());
        try {
            try (Fd copy = Kernel.openat2(s.lockRoot(), "s/slot", NamespaceSteps.DIR_PATH, RESOLVE)) {
                if (Kernel.stat(copy).mountId() == s.lockStagingMountId()) {
                    // nothing propagated: the staging mount is no longer shared with the lock namespace
                    throw new LinuxException("propagate", "staging", Errno.ENOENT, "no copy arrived in the lock namespace");
                }
                Fd clone = ns.inside(s.lockNamespace(), () -> MountApi.cloneTree(copy));
                if (MountApi.trySetAttributes(clone, 0, MountApi.MOUNT_ATTR_RDONLY, 0) != Errno.EPERM) {
                    clone.close();
                    return null;
                }
                return clone;
            }
        } finally {
            detach(tree);
        }
    }

    /** umount2(MNT_DETACH) of the mount {@code mount} refers to, through the host's /proc. */
    private void detach(Fd mount) throws LinuxException {
        MountApi.fchdir(hostProc);
        MountApi.unmount(new StringBuilder("thread-self/fd/").append(mount.get()).toString(), MountApi.MNT_DETACH);
    }

    private synchronized State rebuild(State broken) throws IOException {
        if (closed) throw new IOException("read-only lock closed");
        if (state != broken) return state; // another request rebuilt it meanwhile
        State fresh = build();
        state = fresh;
        try {
            ns.onHost(() -> {
                broken.close();
                return null;
            });
        } catch (Exception e) {
            LOG.warn("closing the old lock namespace: {}", e.toString());
        }
        removeDirectory(broken.directory());
        return fresh;
    }

    private State build() throws IOException {
        Path dir = stateDirectory.resolve(PREFIX + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet());
        var owner = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
        Files.createDirectory(dir, owner);
        Path staging = Files.createDirectory(dir.resolve("staging"), owner);
        Files.createDirectory(staging.resolve("slot"), owner);
        Path root = Files.createDirectory(dir.resolve("root"), owner);
        Fd stagingMount = null;
        Fd slot = null;
        Fd lockNs = null;
        Fd lockRoot = null;
        Process helper = null;
        try {
            // The staging directory becomes its own shared mount: what lands on it propagates.
            try (Fd stagingDir = Kernel.openHost(staging, NamespaceSteps.DIR_PATH)) {
                stagingMount = MountApi.cloneTree(stagingDir);
            }
            MountApi.setAttributes(stagingMount, MountApi.MOUNT_ATTR_NOSUID | MountApi.MOUNT_ATTR_NODEV, 0, MountApi.MS_PRIVATE);
            MountApi.moveOntoHostPath(stagingMount, staging.toString());
            MountApi.setAttributes(stagingMount, 0, 0, MountApi.MS_SHARED);
            // opened after the bind: the slot directory as seen on the shared mount
            slot = Kernel.openHost(staging.resolve("slot"), NamespaceSteps.DIR_PATH);

            helper = new ProcessBuilder("unshare", "--user", "--map-root-user", "--mount", "--propagation", "slave",
                    "--", "/bin/sh", "-c", HELPER_SCRIPT, "castd-ro-lock", root.toString(), staging.toString())
                    .redirectErrorStream(true).start();
            String ready = readLine(helper.getInputStream());
            if (!"ready".equals(ready)) {
                String rest = new String(helper.getInputStream().readNBytes(4096), StandardCharsets.UTF_8).trim();
                throw new IOException("lock namespace helper failed: " + (ready + " " + rest).trim());
            }
            long pid = helper.pid();
            try (Fd pidfd = MountApi.pidfdOpen((int) pid);
                 Fd proc = Kernel.openHost(Path.of("/proc/" + pid), NamespaceSteps.DIR_PATH)) {
                lockNs = Kernel.openat(proc, "ns/mnt", Kernel.O_RDONLY, 0);
                lockRoot = Kernel.openat(proc, "root", NamespaceSteps.DIR_PATH, 0);
                if (!MountApi.isAlive(pidfd)) throw new IOException("lock namespace helper exited early");
            }
            // Detach the host tree the helper pivoted away from (only castd can: the helper has
            // no umount binary any more). The lock namespace then holds its tmpfs and /s only.
            long oldId;
            try (Fd old = Kernel.openat2(lockRoot, "old", NamespaceSteps.DIR_PATH, RESOLVE)) {
                oldId = Kernel.stat(old).mountId();
            }
            Fd namespace = lockNs;
            Fd lockedRoot = lockRoot;
            boolean gone = ns.inside(namespace, () -> NamespaceSteps.detachIfMatches(lockedRoot, "/old", oldId, hostProc));
            if (!gone) throw new IOException("could not detach the old root in the lock namespace");
            long stagingId;
            try (Fd s = Kernel.openat2(lockRoot, "s", NamespaceSteps.DIR_PATH, RESOLVE)) {
                stagingId = Kernel.stat(s).mountId();
            }
            helper.getOutputStream().close();
            if (!helper.waitFor(5, TimeUnit.SECONDS)) throw new IOException("lock namespace helper did not exit");
            LOG.info("read-only lock namespace ready (staging {}, helper {} exited)", staging, pid);
            return new State(dir, stagingMount, slot, lockNs, lockRoot, stagingId, pid);
        } catch (Exception e) {
            if (lockRoot != null) lockRoot.close();
            if (lockNs != null) lockNs.close();
            if (slot != null) slot.close();
            if (stagingMount != null) stagingMount.close();
            removeDirectory(dir);
            if (e instanceof IOException io) throw io;
            if (e instanceof RuntimeException re) throw re;
            throw new IOException(e);
        } finally {
            if (helper != null && helper.isAlive()) {
                helper.destroyForcibly();
                try {
                    helper.waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c; (c = in.read()) >= 0 && c != '\n' && line.length() < 4096; ) line.append((char) c);
        return line.toString();
    }

    /** Unmounts the staging mount (if still there) and deletes the directory tree. */
    private void removeDirectory(Path dir) {
        Path staging = dir.resolve("staging");
        try {
            // stacked mounts (a crash between two steps) come off one per round
            for (int i = 0; i < 8 && isMountPoint(staging); i++) MountApi.unmount(staging.toString(), MountApi.MNT_DETACH);
        } catch (IOException e) {
            LOG.warn("unmounting {}: {}", staging, e.toString());
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warn("removing {}: {}", dir, e.toString());
        }
    }

    private boolean isMountPoint(Path path) throws LinuxException {
        if (!Files.isDirectory(path)) return false;
        List<MountInfo> table;
        try (Fd self = Kernel.openat(hostProc, "self", NamespaceSteps.DIR_PATH, 0)) {
            table = MountTable.read(self);
        }
        String p = path.toString();
        for (MountInfo m : table) if (m.mountPoint().equals(p)) return true;
        return false;
    }

    /** Staging directories of castd processes that no longer run. */
    private void removeStale() throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(stateDirectory, PREFIX + "*")) {
            for (Path p : entries) {
                String rest = p.getFileName().toString().substring(PREFIX.length());
                int dash = rest.indexOf('-');
                long pid;
                try {
                    pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                LOG.info("removing stale read-only staging {}", p);
                removeDirectory(p);
            }
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        State s = state;
        if (s == null) return;
        s.close();
        removeDirectory(s.directory());
    }
}
