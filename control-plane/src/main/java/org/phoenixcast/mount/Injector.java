package org.phoenixcast.mount;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.phoenixcast.linux.Errno;
import org.phoenixcast.linux.Fd;
import org.phoenixcast.linux.Kernel;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.linux.MountApi;
import org.phoenixcast.linux.NamespaceThread;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.GuestPath;

/**
 * inject and detach: clone the source (host thread for host paths, inside the owner's mount
 * namespace for guest folders), check it, idmap it when owner and receiver map ids differently
 * ({@link OwnerMapping}), set nosuid,nodev[,ro][,noexec] and private propagation on the detached
 * tree, lock it when read-only, then attach it from inside the receiver's namespace.
 *
 * <p>When owner and receiver map ids alike (the host or a privileged container on both sides,
 * or two containers with the same ranges) the owner-mapping step costs one comparison of two
 * values read when the handles opened: the same system calls as before idmapped shares.
 */
final class Injector {
    private final NamespaceThread ns;
    private final Fd hostProc;
    private final Supplier<Set<String>> controlDevices;
    private final ReadOnlyLock readOnlyLock;
    private final OwnerMapping ownerMapping;

    Injector(NamespaceThread ns, Fd hostProc, Supplier<Set<String>> controlDevices, ReadOnlyLock readOnlyLock,
             IdmapNamespaces idmapNamespaces) {
        this.ns = ns;
        this.hostProc = hostProc;
        this.controlDevices = controlDevices;
        this.readOnlyLock = readOnlyLock;
        this.ownerMapping = new OwnerMapping(ns, idmapNamespaces);
    }

    long inject(LinuxContainerHandle receiver, MountSpec spec) throws IOException, MountRefused {
        GuestPath target = spec.unsafeTarget();
        if (target.isRoot()) throw new MountRefused("target /: cannot mount over the root");
        requireAlive(receiver, "receiver");
        UserNamespace owner = OwnerMapping.ownerNamespace(spec.source());
        boolean mapOwners = IdmapPlan.needed(owner, receiver.userNamespace());
        NamespaceSteps.Clone clone = cloneSource(spec.source(), mapOwners);
        Fd tree = clone.tree();
        try {
            // castd's own /.syscmd and /syscmd are never idmapped (see OwnerMapping)
            if (mapOwners && !controlDevices.get().contains(clone.stat().device())) {
                tree = ownerMapping.apply(tree, clone, spec.source(), owner, receiver);
            }
            // Private propagation: the clone must not stay a peer of the source mount, or mounts
            // the receiver makes beneath the share would propagate back to the owner or host.
            long attrs = MountApi.MOUNT_ATTR_NOSUID | MountApi.MOUNT_ATTR_NODEV;
            if (spec.access() == Access.READ_ONLY) attrs |= MountApi.MOUNT_ATTR_RDONLY;
            if (spec.noExec()) attrs |= MountApi.MOUNT_ATTR_NOEXEC;
            MountApi.setAttributes(tree, attrs, 0, MountApi.MS_PRIVATE);
            // A receiver that is root over its own mount namespace could "mount -o remount,bind,rw"
            // a read-only tree back; the clone from the lock namespace has its flags locked.
            // Read-write shares skip this entirely.
            Fd placed = spec.access() == Access.READ_ONLY ? readOnlyLock.lockedClone(tree) : tree;
            try {
                return attach(receiver, target, placed);
            } finally {
                if (placed != tree) placed.close();
            }
        } finally {
            tree.close();
        }
    }

    private long attach(LinuxContainerHandle receiver, GuestPath target, Fd tree) throws IOException, MountRefused {
        List<String> components = target.components();
        try {
            // Lent: after a timeout this method's caller closes the tree while the set-aside task
            // may still be about to move it; the task moves its own copy, never a reused number.
            return ns.inside(receiver.pidfd(), new Fd[] {receiver.root(), tree},
                    lent -> NamespaceSteps.attach(lent[0], target.value(), components, lent[1]));
        } catch (LinuxException e) {
            throw targetRefusal(e, target, receiver);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /** See {@link MountFacade#findPlaced}. */
    java.util.OptionalLong findPlaced(LinuxContainerHandle receiver, MountSpec spec) throws IOException, MountRefused {
        GuestPath target = spec.unsafeTarget();
        if (target.isRoot()) return java.util.OptionalLong.empty();
        requireAlive(receiver, "receiver");
        NamespaceSteps.Clone clone = cloneSource(spec.source(), false);
        clone.tree().close();
        try {
            long id = ns.inside(receiver.pidfd(), new Fd[] {receiver.root()},
                    lent -> NamespaceSteps.mountedSource(lent[0], target.value(), clone.stat()));
            return id < 0 ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(id);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /** @param withIdmap also read the source mount's idmapping (only when owners must be mapped) */
    private NamespaceSteps.Clone cloneSource(MountSource source, boolean withIdmap) throws IOException, MountRefused {
        if (source instanceof MountSource.HostPath host) {
            Path path = host.path();
            NamespaceSteps.Clone clone;
            // An admin-trusted host path: resolved on this (host) thread, symlinks allowed.
            try (Fd dir = Kernel.openHost(path, NamespaceSteps.DIR_PATH)) {
                clone = NamespaceSteps.cloneFd(dir, withIdmap, null);
            } catch (LinuxException e) {
                throw sourceRefusal(e, path.toString());
            }
            // castd's own control tmpfs is a legitimate host source (it is how /.syscmd and /syscmd
            // reach the guest); the refusal of control devices protects against guest sources only.
            try {
                check(clone, this::readHostTable, path.toString(), Set.of());
            } catch (IOException | RuntimeException e) {
                clone.tree().close();
                throw e;
            }
            return clone;
        }
        MountSource.GuestFolder guest = (MountSource.GuestFolder) source;
        LinuxContainerHandle owner = LinuxMountFacade.linux(guest.owner());
        requireAlive(owner, "owner");
        String unsafePath = guest.unsafePath().value();
        NamespaceSteps.Clone clone;
        try {
            // open_tree of a guest path works only from inside the owner's namespace.
            Fd ownerUserNamespace = owner.userNamespaceFd();
            // A clone returned after its caller gave up is closed by the namespace thread.
            clone = ns.inside(owner.pidfd(), new Fd[] {owner.root(), ownerUserNamespace},
                    lent -> NamespaceSteps.cloneSource(lent[0], unsafePath, withIdmap, lent[1]));
        } catch (LinuxException e) {
            // ESRCH from setns by pidfd: the owner is exiting (its namespaces are gone before its
            // pidfd reports the exit), so isAlive() may still say yes for a moment.
            if ("setns".equals(e.operation()) && (e.errno() == Errno.ESRCH || !owner.isAlive())) {
                throw new MountRefused("owner container (pid " + owner.pid() + ") exited");
            }
            throw sourceRefusal(e, unsafePath);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
        try {
            check(clone, () -> MountTable.read(owner.procDir()), unsafePath, controlDevices.get());
        } catch (IOException | RuntimeException e) {
            clone.tree().close();
            throw e;
        }
        return clone;
    }

    private List<MountInfo> readHostTable() throws LinuxException {
        try (Fd self = Kernel.openat(hostProc, "self", NamespaceSteps.DIR_PATH, 0)) {
            return MountTable.read(self);
        }
    }

    private void check(NamespaceSteps.Clone clone, SourcePolicy.Table ownerMounts, String what, Set<String> refusedDevices)
            throws MountRefused, LinuxException {
        String problem = SourcePolicy.problem(clone.stat(), clone.fsMagic(), ownerMounts, refusedDevices);
        if (problem != null) {
            clone.tree().close();
            throw new MountRefused("source " + what + ": " + problem);
        }
    }

    private static MountRefused sourceRefusal(LinuxException e, String what) throws LinuxException {
        String stall = stallReason(e);
        if (stall != null) return new MountRefused("source " + what + ": " + stall);
        switch (e.errno()) {
            case Errno.ENOENT: return new MountRefused("source " + what + ": does not exist");
            case Errno.ENOTDIR: return new MountRefused("source " + what + ": not a directory");
            case Errno.ELOOP: return new MountRefused("source " + what + ": resolves through a magic link");
            case Errno.EXDEV: return new MountRefused("source " + what + ": resolves outside the container's root");
            case Errno.EINVAL:
                if ("open_tree".equals(e.operation())) {
                    return new MountRefused("source " + what + ": cannot be cloned (not a cloneable mount)");
                }
                throw e;
            default: throw e;
        }
    }

    /**
     * A namespace task that did not answer in time (a guest's FUSE mount that never answers a
     * lookup), or was refused because an earlier one in the same container is still stuck, or
     * because too many are: the reason for the guest, or null for any other failure.
     */
    private static String stallReason(LinuxException e) {
        if (!NamespaceThread.TASK_OPERATION.equals(e.operation())) return null;
        switch (e.errno()) {
            case Errno.ETIMEDOUT: return "lookup timed out (a stalled FUSE mount?)";
            case Errno.EBUSY: return "an earlier lookup in this container is still stuck (a stalled FUSE mount?)";
            case Errno.EAGAIN: return "castd's namespace threads are stuck in containers' file systems; try again later";
            default: return null;
        }
    }

    private static MountRefused targetRefusal(LinuxException e, GuestPath target, LinuxContainerHandle receiver)
            throws LinuxException {
        String stall = stallReason(e);
        if (stall != null) return new MountRefused("target " + target + ": " + stall);
        boolean resolving = "openat2".equals(e.operation()) || "mkdirat".equals(e.operation());
        if (resolving) {
            switch (e.errno()) {
                case Errno.ELOOP: return new MountRefused("target " + target + ": path contains a symlink");
                case Errno.ENOTDIR: return new MountRefused("target " + target + ": not a directory");
                case Errno.EXDEV: return new MountRefused("target " + target + ": resolves outside the container's root");
                case Errno.EROFS: return new MountRefused("target " + target + ": cannot create it on a read-only file system");
                case Errno.ENOSPC: return new MountRefused("target " + target + ": no space to create it");
                case Errno.ENOENT: return new MountRefused("target " + target + ": vanished while it was created");
                case Errno.ENOTCONN: return new MountRefused("target " + target + ": its file system is gone (a FUSE daemon that exited?)");
                case Errno.EACCES:
                case Errno.EPERM: return new MountRefused("target " + target + ": not allowed to create it");
                default: throw e;
            }
        }
        if ("setns".equals(e.operation()) && receiver != null && (e.errno() == Errno.ESRCH || !receiver.isAlive())) {
            return new MountRefused("receiver container (pid " + receiver.pid() + ") exited");
        }
        throw e;
    }

    private static void requireAlive(LinuxContainerHandle c, String role) throws MountRefused {
        if (!c.isAlive()) throw new MountRefused(role + " container (pid " + c.pid() + ") is not running");
    }

    /** See {@link MountFacade#detach}. */
    void detach(LinuxContainerHandle receiver, GuestPath unsafeTarget, long mountId) throws IOException {
        if (!receiver.isAlive()) return;
        detachIfListed(receiver, unsafeTarget.value(), mountId, m -> true);
    }

    /**
     * {@link #detach} for a mount the guest moved: the mount point comes from the receiver's own
     * mountinfo, so only what openat2 needs is checked (absolute, no NUL, at most PATH_MAX
     * bytes); RESOLVE_IN_ROOT keeps any path inside the receiver's root, and the mount id on the
     * resolved fd must still be {@code mountId}. Device and root must match the mountinfo line.
     */
    void detachMoved(LinuxContainerHandle receiver, String unsafeMountPoint, long mountId, String device, String root)
            throws IOException {
        if (!receiver.isAlive()) return;
        if (unsafeMountPoint.isEmpty() || unsafeMountPoint.charAt(0) != '/' || unsafeMountPoint.indexOf('\0') >= 0
                || unsafeMountPoint.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > GuestPath.MAX_BYTES) {
            throw new IOException("mount point not usable: " + org.phoenixcast.model.Printable.quote(unsafeMountPoint));
        }
        detachIfListed(receiver, unsafeMountPoint, mountId, m -> m.device().equals(device) && m.root().equals(root));
    }

    /**
     * Detaches mount {@code mountId} at {@code unsafeMountPoint} when the receiver's mountinfo
     * lists it there (and {@code same} accepts the line); does nothing otherwise. Inside the
     * receiver the path is resolved with openat2 in its root and the id checked again on the fd;
     * the task gets its own copies of the fds (see {@link NamespaceThread#inside(Fd, Fd[],
     * NamespaceThread.LentTask)}).
     */
    private void detachIfListed(LinuxContainerHandle receiver, String unsafeMountPoint, long mountId,
                                java.util.function.Predicate<MountInfo> same) throws IOException {
        boolean listed = false;
        for (MountInfo m : MountTable.read(receiver.procDir())) {
            if (m.mountId() == mountId && m.mountPoint().equals(unsafeMountPoint) && same.test(m)) listed = true;
        }
        if (!listed) return;
        try {
            ns.inside(receiver.pidfd(), new Fd[] {receiver.root(), hostProc},
                    lent -> NamespaceSteps.detachIfMatches(lent[0], unsafeMountPoint, mountId, lent[1]));
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /** Reuses the receiver-side steps against the host namespace so their classes load now. */
    void warmUp(Path scratch) throws Exception {
        try (Fd root = Kernel.openHost(scratch, NamespaceSteps.DIR_PATH)) {
            Kernel.mkdirat(root, "src", 0755);
            // withIdmap: the statmount step runs inside owners' namespaces for idmapped shares
            // with the idmap steps, as for shares between user namespaces: statmount, and the
            // probe (here with the host's namespace, which the kernel refuses) and open_tree_attr
            // (here of a plain tree with no namespace: refused) that run inside owners
            NamespaceSteps.Clone clone;
            try (Fd ownUserNamespace = Kernel.openat(hostProc, "self/ns/user", Kernel.O_RDONLY, 0)) {
                clone = ns.inside(ns.hostNamespace(), () -> NamespaceSteps.cloneSource(root, "/src", true, ownUserNamespace));
                Fd probed = clone.tree();
                try {
                    ns.inside(ns.hostNamespace(), () -> MountApi.cloneWithIdmap(probed, probed)).close();
                    throw new IllegalStateException("warm-up: open_tree_attr accepted a mount as a user namespace");
                } catch (LinuxException expected) {
                    // EINVAL (or ENOSYS before Linux 6.15)
                }
            }
            try (Fd tree = clone.tree()) {
                check(clone, this::readHostTable, "warm-up", controlDevices.get());
                MountApi.setAttributes(tree, MountApi.MOUNT_ATTR_NOSUID | MountApi.MOUNT_ATTR_NODEV, 0, MountApi.MS_PRIVATE);
                GuestPath target = GuestPath.parse("/dst/sub");
                long id = ns.inside(ns.hostNamespace(),
                        () -> NamespaceSteps.attach(root, target.value(), target.components(), tree));
                boolean gone = ns.inside(ns.hostNamespace(),
                        () -> NamespaceSteps.detachIfMatches(root, target.value(), id, hostProc));
                if (!gone) throw new IllegalStateException("warm-up mount " + id + " was not detached");
            }
            // Error paths: a symlinked target and a missing source.
            java.nio.file.Files.createSymbolicLink(scratch.resolve("link"), Path.of("/"));
            try {
                ns.inside(ns.hostNamespace(), () -> {
                    NamespaceSteps.resolveTarget(root, "/link/x", List.of("link", "x")).close();
                    return null;
                });
                throw new IllegalStateException("warm-up: a symlinked target was not refused");
            } catch (LinuxException expected) {
                targetRefusal(expected, GuestPath.parse("/link/x"), null);
            }
            try {
                ns.inside(ns.hostNamespace(), () -> NamespaceSteps.cloneSource(root, "/missing", false, null));
            } catch (LinuxException expected) {
                sourceRefusal(expected, "/missing");
            }
            ns.inside(ns.hostNamespace(), () -> NamespaceSteps.detachIfMatches(root, "/missing", -1, hostProc));
        }
    }

    /**
     * The read-only path once, against the host namespace: through the lock namespace, then the
     * same attach and detach. Runs after {@link #warmUp} and after the lock namespace is built.
     */
    void warmUpReadOnly(Path scratch) throws Exception {
        try (Fd root = Kernel.openHost(scratch, NamespaceSteps.DIR_PATH)) {
            Kernel.mkdirat(root, "src", 0755);
            NamespaceSteps.Clone clone = ns.inside(ns.hostNamespace(), () -> NamespaceSteps.cloneSource(root, "/src", false, null));
            try (Fd tree = clone.tree()) {
                MountApi.setAttributes(tree, MountApi.MOUNT_ATTR_NOSUID | MountApi.MOUNT_ATTR_NODEV
                        | MountApi.MOUNT_ATTR_RDONLY, 0, MountApi.MS_PRIVATE);
                long id;
                try (Fd locked = readOnlyLock.lockedClone(tree)) {
                    GuestPath target = GuestPath.parse("/dst/ro");
                    id = ns.inside(ns.hostNamespace(),
                            () -> NamespaceSteps.attach(root, target.value(), target.components(), locked));
                    if (MountApi.trySetAttributes(locked, 0, MountApi.MOUNT_ATTR_RDONLY, 0) != Errno.EPERM) {
                        throw new IllegalStateException("warm-up: the read-only lock did not lock the mount");
                    }
                }
                boolean gone = ns.inside(ns.hostNamespace(),
                        () -> NamespaceSteps.detachIfMatches(root, "/dst/ro", id, hostProc));
                if (!gone) throw new IllegalStateException("warm-up read-only mount " + id + " was not detached");
            }
        }
    }
}
