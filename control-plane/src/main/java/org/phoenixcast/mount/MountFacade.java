package org.phoenixcast.mount;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.phoenixcast.linux.DropDirectory;
import org.phoenixcast.linux.Inotify;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.linux.ReplyDirectory;
import org.phoenixcast.model.GuestPath;

/**
 * Everything castd asks of the kernel. The production implementation uses jnr-ffi and the
 * new mount API; tests of pure logic may put a fake behind this interface, nothing else does.
 */
public interface MountFacade extends AutoCloseable {

    /** Pins a running process by PID: pidfd_open, then /proc/PID and its root, verified alive after. */
    ContainerHandle open(int pid) throws LinuxException;

    /**
     * Places {@code spec.source()} at {@code spec.unsafeTarget()} inside {@code receiver}:
     * clones the source with open_tree, sets nosuid,nodev (and ro/noexec) with mount_setattr on
     * the detached tree, resolves the target with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS
     * | RESOLVE_NO_SYMLINKS) from the receiver's root fd, creates missing directories with mkdirat
     * beneath held fds, and move_mounts onto the O_PATH target fd from the namespace thread.
     * When the owner (the host for host paths) and the receiver map ids differently (see
     * {@link ContainerHandle#userNamespace()}), the clone is an idmapped mount: files show in the
     * receiver with the owners the owner sees, and the receiver's writes land as the owner's ids;
     * where the kernel or file system cannot idmap it, the share is refused (MountRefused
     * "cannot map owners: ..."), never mounted with wrong owners.
     *
     * @return the new mount's id in the receiver's mount namespace
     * @throws MountRefused when the request is unsafe or impossible (reason fit for the guest)
     */
    long inject(ContainerHandle receiver, MountSpec spec) throws IOException, MountRefused;

    /**
     * Finds a mount of {@code spec.source()} already on top of {@code spec.unsafeTarget()} in the
     * receiver (its root is the very source directory), so that recovery after a crash between
     * move_mount and recording it adopts the mount instead of stacking a second one.
     */
    java.util.OptionalLong findPlaced(ContainerHandle receiver, MountSpec spec) throws IOException, MountRefused;

    /**
     * Detaches (MNT_DETACH) the mount with {@code mountId} whose mount point is {@code unsafeTarget}
     * in the receiver. Does nothing if that mount is no longer there. Never unmounts another mount.
     */
    void detach(ContainerHandle receiver, GuestPath unsafeTarget, long mountId) throws IOException;

    /**
     * Detaches the mount with {@code mountId}, {@code device} and {@code root} (mountinfo fields
     * 1, 3 and 4) wherever the receiver's mountinfo now shows it, {@code unsafeMountPoint} (a
     * guest-made path, from that mountinfo: it may be one {@link GuestPath} refuses, with control
     * characters or many components; only absolute, without NUL and at most PATH_MAX bytes is
     * required). As {@link #detach}, it is resolved with openat2 in the receiver's root and the
     * mount id is checked on the fd; does nothing if that mount is no longer there.
     */
    void detachMoved(ContainerHandle receiver, String unsafeMountPoint, long mountId, String device, String root)
            throws IOException;

    /** The receiver's mount table, from /proc/PID/mountinfo opened relative to the pinned /proc/PID fd. */
    List<MountInfo> mountTable(ContainerHandle container) throws IOException;

    /**
     * Makes sure a tmpfs of at most {@code maxBytes} and {@code maxInodes} is mounted at the
     * host directory {@code hostDirectory} (created 0700 if missing), mode {@code mode} at its
     * root, and remembers its device so that it is never accepted as a share source.
     * Idempotent: an existing castd tmpfs there is kept (its contents survive castd restarts).
     *
     * @return the tmpfs device as "major:minor", as mountinfo shows it
     */
    String ensureTmpfs(Path hostDirectory, long maxBytes, long maxInodes, int mode) throws IOException;

    /** Unmounts what ensureTmpfs mounted at hostDirectory (lazy), if anything. */
    void removeTmpfs(Path hostDirectory) throws IOException;

    DropDirectory openDropDirectory(Path hostDirectory) throws LinuxException;

    ReplyDirectory openReplyDirectory(Path hostDirectory) throws LinuxException;

    Inotify newInotify() throws LinuxException;

    @Override
    void close();
}
