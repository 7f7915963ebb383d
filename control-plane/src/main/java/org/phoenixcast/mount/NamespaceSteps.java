package org.phoenixcast.mount;

import java.util.List;
import org.phoenixcast.linux.Errno;
import org.phoenixcast.linux.Fd;
import org.phoenixcast.linux.Kernel;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.linux.MountApi;
import org.phoenixcast.linux.NamespaceThread;
import org.phoenixcast.linux.MountIdmap;
import org.phoenixcast.linux.Stat;

/**
 * The bodies that run on the namespace thread inside a container's mount namespace. They
 * make system calls on held fds only and throw only {@link LinuxException}; the caller maps
 * errnos to refusals on a host thread. {@link LinuxMountFacade} runs each of them once in the
 * host namespace at start-up, so no class is loaded while inside a guest.
 *
 * <p>What the guest controls: every name below its root, which may be a symlink, a magic
 * link, a mount point, a non-directory, or be renamed/replaced at any moment (the guest races
 * us). What stops it: resolution is always by openat2 from the pinned root fd with
 * RESOLVE_IN_ROOT (".." and absolute symlinks cannot leave the root), RESOLVE_NO_MAGICLINKS
 * (no /proc/PID/root jumps) and, for targets, RESOLVE_NO_SYMLINKS (a swapped-in symlink fails
 * with ELOOP instead of redirecting us); and every later step uses the fd we resolved, never
 * the name again.
 */
final class NamespaceSteps {
    static final int DIR_PATH = Kernel.O_PATH | Kernel.O_DIRECTORY;
    static final long SOURCE_RESOLVE = Kernel.RESOLVE_IN_ROOT | Kernel.RESOLVE_NO_MAGICLINKS;
    static final long TARGET_RESOLVE = Kernel.RESOLVE_IN_ROOT | Kernel.RESOLVE_NO_MAGICLINKS | Kernel.RESOLVE_NO_SYMLINKS;
    static final long STEP_RESOLVE = Kernel.RESOLVE_BENEATH | Kernel.RESOLVE_NO_MAGICLINKS | Kernel.RESOLVE_NO_SYMLINKS;

    private NamespaceSteps() {}

    /**
     * A detached clone of a source and what the checks need to know about it. {@code idmap} is
     * the source mount's idmapping when it was asked for (shares that need owner mapping), else
     * null; {@code ownersFileSystem} is true when the source's file system belongs to the owner's
     * user namespace (a tmpfs the owner mounted itself), as far as the probe can tell.
     */
    record Clone(Fd tree, Stat stat, long fsMagic, MountIdmap idmap, boolean ownersFileSystem) implements AutoCloseable {
        /** Closes the tree: the namespace thread calls it on a clone whose caller gave up waiting. */
        @Override
        public void close() {
            tree.close();
        }
    }

    /**
     * Resolves a source directory beneath {@code root} and clones it (non-recursive). Symlinks
     * inside the source path are followed but stay inside the root (RESOLVE_IN_ROOT); the
     * stat, f_type and idmapping are taken from the very fd that is cloned.
     *
     * @param withIdmap also read what owner mapping needs (see {@link #cloneFd})
     * @param ownerUserNamespace the owner's user namespace fd when it has one, else null
     */
    static Clone cloneSource(Fd root, String unsafePath, boolean withIdmap, Fd ownerUserNamespace)
            throws LinuxException {
        try (Fd dir = Kernel.openat2(root, unsafePath, DIR_PATH, SOURCE_RESOLVE)) {
            return cloneFd(dir, withIdmap, ownerUserNamespace);
        }
    }

    /**
     * @param withIdmap also read the idmapping of the mount {@code dir} is on (statmount, in the
     *     calling thread's mount namespace: the owner's, where that mount lives) and, for a
     *     plain mount of an owner with a user namespace, probe whether the file system belongs to
     *     that namespace: the kernel refuses (EINVAL) to idmap a mount with its own file system's
     *     namespace, so a throwaway second clone is idmapped with the owner's namespace.
     *     NOTE: a file system of another non-initial namespace (one a nested container mounted
     *     and propagated up) passes the probe and is mapped as a host file system would be.
     */
    static Clone cloneFd(Fd dir, boolean withIdmap, Fd ownerUserNamespace) throws LinuxException {
        Stat stat = Kernel.stat(dir);
        long magic = Kernel.fileSystemType(dir);
        MountIdmap idmap = null;
        boolean ownersFileSystem = false;
        if (withIdmap) {
            idmap = MountApi.mountIdmap(dir);
            if (ownerUserNamespace != null && idmap.state() != MountIdmap.State.IDMAPPED) {
                try (Fd probe = MountApi.cloneTree(dir)) {
                    ownersFileSystem = MountApi.trySetIdmap(probe, ownerUserNamespace) == Errno.EINVAL;
                }
            }
        }
        Fd tree = MountApi.cloneTree(dir);
        return new Clone(tree, stat, magic, idmap, ownersFileSystem);
    }

    /**
     * Resolves the target directory beneath {@code root}, creating missing components with
     * mkdirat beneath the held parent fd (mode 0755, owned by host root). ELOOP means a
     * symlink somewhere in the path, ENOTDIR a non-directory.
     */
    static Fd resolveTarget(Fd root, String unsafePath, List<String> components) throws LinuxException {
        try {
            return Kernel.openat2(root, unsafePath, DIR_PATH, TARGET_RESOLVE);
        } catch (LinuxException e) {
            if (e.errno() != Errno.ENOENT) throw e;
        }
        // Walk one component at a time from the root. A guest racing us can only make a step
        // fail (ELOOP for a symlink, ENOTDIR, ENOENT after an rmdir): each step is RESOLVE_BENEATH
        // a directory fd we hold and names exactly one component without '/' or "..".
        Fd current = Kernel.openat2(root, ".", DIR_PATH, STEP_RESOLVE);
        try {
            for (String name : components) {
                Fd next;
                try {
                    next = Kernel.openat2(current, name, DIR_PATH, STEP_RESOLVE);
                } catch (LinuxException e) {
                    if (e.errno() != Errno.ENOENT) throw e;
                    Kernel.mkdirat(current, name, 0755); // EEXIST (a racing creator) is fine
                    next = Kernel.openat2(current, name, DIR_PATH, STEP_RESOLVE);
                }
                current.close();
                current = next;
            }
            Fd result = current;
            current = null;
            return result;
        } finally {
            if (current != null) current.close();
        }
    }

    /**
     * Resolves the target and moves the detached tree onto it; returns the new mount id.
     *
     * <p>Residual race: between resolution and move_mount the guest may rename or unlink the
     * directory we hold. The mount then lands on that same directory wherever it now is (still
     * inside the guest's root, as the guest cannot name anything outside it), or fails on an
     * unlinked one; it never lands on a path the guest swapped in afterwards.
     */
    static long attach(Fd root, String unsafeTarget, List<String> components, Fd tree) throws LinuxException {
        try (Fd target = resolveTarget(root, unsafeTarget, components)) {
            // The lookup may have been stuck (a guest's FUSE mount) until castd gave up and
            // reported the mount as failed: then do not place it behind castd's back.
            if (NamespaceThread.abandoned()) return -1;
            MountApi.moveOnto(tree, target);
        }
        return Kernel.stat(tree).mountId();
    }

    /**
     * The id of the mount on top of {@code unsafeTarget} when that mount's root is the directory
     * (device, inode) {@code source}; -1 otherwise (nothing mounted there, or something else).
     * The target must be a mount root: its mount id differs from its parent directory's, so a
     * directory that merely is the source (a container rooted in the host's tree) never counts.
     */
    static long mountedSource(Fd root, String unsafeTarget, Stat source) throws LinuxException {
        String parent = unsafeTarget.substring(0, Math.max(1, unsafeTarget.lastIndexOf('/')));
        try (Fd target = Kernel.openat2(root, unsafeTarget, DIR_PATH, TARGET_RESOLVE);
             Fd above = Kernel.openat2(root, parent, DIR_PATH, TARGET_RESOLVE)) {
            Stat t = Kernel.stat(target);
            boolean sameDirectory = t.inode() == source.inode() && t.devMajor() == source.devMajor()
                    && t.devMinor() == source.devMinor();
            return sameDirectory && t.mountId() != Kernel.stat(above).mountId() ? t.mountId() : -1;
        } catch (LinuxException e) {
            if (e.errno() == Errno.ENOENT || e.errno() == Errno.ELOOP || e.errno() == Errno.ENOTDIR) return -1;
            throw e;
        }
    }

    /**
     * Detaches the mount on top of {@code unsafeTarget} if and only if its id is
     * {@code mountId}. The unmount goes through the fd we checked, named via the HOST's procfs
     * ({@code hostProc}, opened before entering): "thread-self/fd/N" relative to a cwd in the
     * host /proc, so the guest's /proc (which it may have over-mounted) is never consulted
     * and no guest path is resolved twice.
     *
     * @return true when unmounted
     */
    static boolean detachIfMatches(Fd root, String unsafeTarget, long mountId, Fd hostProc) throws LinuxException {
        Fd target;
        try {
            target = Kernel.openat2(root, unsafeTarget, DIR_PATH, TARGET_RESOLVE);
        } catch (LinuxException e) {
            return false; // gone, or replaced by a symlink: not our mount any more
        }
        try {
            if (Kernel.stat(target).mountId() != mountId) return false;
            MountApi.fchdir(hostProc);
            MountApi.unmount(new StringBuilder("thread-self/fd/").append(target.get()).toString(), MountApi.MNT_DETACH);
            return true;
        } finally {
            target.close();
        }
    }
}
