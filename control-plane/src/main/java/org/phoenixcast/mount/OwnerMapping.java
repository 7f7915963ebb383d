package org.phoenixcast.mount;

import java.io.IOException;
import org.phoenixcast.linux.Errno;
import org.phoenixcast.linux.Fd;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.linux.MountApi;
import org.phoenixcast.linux.NamespaceThread;

/**
 * Owners across user namespaces (issue 3): a share's detached clone becomes an idmapped mount,
 * so a file the owner sees as uid n shows as uid n in the receiver and what the receiver writes
 * lands on disk as the owner's ids ({@link IdmapPlan} has the composition). It runs only when
 * owner and receiver map ids differently; the idmap is set with mount_setattr(MOUNT_ATTR_IDMAP)
 * before nosuid/nodev/ro and before the read-only lock, whose clones keep it. The namespace used
 * is the receiver's own when the owner sees on-disk ids as the host does (a host folder, a
 * privileged owner), else one castd creates with exactly the composed maps
 * ({@link IdmapNamespaces}). A source that is itself an idmapped mount (the root of
 * {@code systemd-nspawn -U}) is re-cloned with open_tree_attr, which replaces its idmap.
 *
 * <p>Careful behaviour where the kernel cannot idmap a source: the share is refused with one
 * line the guest sees, never mounted with every file owned by nobody (which would also make it
 * unwritable for the receiver):
 * <ul>
 *   <li>"cannot map owners: the filesystem of SRC does not support idmapped mounts": a file
 *       system without idmap support (ramfs, NFS, FUSE without opt-in, tmpfs before Linux 6.3,
 *       ...), a file system mounted inside a user namespace on kernels that cannot idmap those,
 *       and every kernel before 5.12;</li>
 *   <li>"cannot map owners: SRC is already an idmapped mount and this kernel cannot map it
 *       again": an idmapped source on a kernel before 6.15 (no open_tree_attr, no idmap in
 *       statmount);</li>
 *   <li>"cannot map owners: no uid the owner uses is mapped in the receiving container" (or gid),
 *       and "the id mapping has too many ranges for the kernel": no idmap can satisfy the rule.</li>
 * </ul>
 * Ids the owner sees but the receiver's namespace cannot represent show as nobody there and stay
 * unwritable for the receiver; the rest of the share works. Shares between alike namespaces are
 * unaffected by all of this, on any kernel.
 *
 * <p>castd's own control directories (/.syscmd, /syscmd) are never idmapped: their modes (1733,
 * 0755, files 0444/0555) work with unmapped owners, and they must work on every kernel.
 *
 * <p>NOTE: a read-write share idmapped this way gives the receiver's root the owner's ids on
 * disk, host root's for a host folder: it can create files owned by host root there, setuid
 * ones included. nosuid on the receiver's mount stops their use inside; on the host they are
 * ordinary files in the shared folder. Publishing a host folder read-write to a user-namespaced
 * container trusts its root with that folder as if it were host root (the same as for a
 * privileged container).
 */
final class OwnerMapping {
    private final NamespaceThread ns;
    private final IdmapNamespaces idmapNamespaces;

    OwnerMapping(NamespaceThread ns, IdmapNamespaces idmapNamespaces) {
        this.ns = ns;
        this.idmapNamespaces = idmapNamespaces;
    }

    static UserNamespace ownerNamespace(MountSource source) {
        if (source instanceof MountSource.GuestFolder guest) return LinuxMountFacade.linux(guest.owner()).userNamespace();
        return UserNamespace.INITIAL;
    }

    private static String sourceName(MountSource source) {
        if (source instanceof MountSource.GuestFolder guest) return guest.unsafePath().value();
        return ((MountSource.HostPath) source).path().toString();
    }

    /**
     * Gives the detached clone the idmapping {@link IdmapPlan} asks for; call it only when
     * {@link IdmapPlan#needed} and the clone was made with its source's idmap (withIdmap).
     * Returns the tree to go on with: {@code tree} itself, or (for an already idmapped source) a
     * new clone, in which case {@code tree} is closed. Runs on a host thread, except the re-clone
     * of an idmapped guest source, which the kernel allows only from the mount namespace the
     * clone came from (the owner's). The guest influences only which of its ids its files carry,
     * never the maps (read from /proc as host root) nor which namespace castd uses.
     */
    Fd apply(Fd tree, NamespaceSteps.Clone clone, MountSource source, UserNamespace owner, LinuxContainerHandle receiver)
            throws IOException, MountRefused {
        String what = sourceName(source);
        UserNamespace sourceMount = null;
        switch (clone.idmap().state()) {
            case IDMAPPED:
                try {
                    sourceMount = new UserNamespace(IdMap.parse(clone.idmap().uidMap()),
                            IdMap.parse(clone.idmap().gidMap()));
                } catch (IllegalArgumentException e) {
                    throw new LinuxException("statmount", what, Errno.EINVAL, "unreadable idmapping: " + e.getMessage());
                }
                break;
            case IDMAPPED_MAP_UNKNOWN:
                throw new MountRefused(alreadyIdmapped(what));
            default:
                break;
        }
        UserNamespace fileSystem = clone.ownersFileSystem() ? owner : UserNamespace.INITIAL;
        IdmapPlan plan = IdmapPlan.of(owner, fileSystem, sourceMount, receiver.userNamespace());
        if (plan instanceof IdmapPlan.Unchanged) return tree;
        if (plan instanceof IdmapPlan.Refused refused) throw new MountRefused("cannot map owners: " + refused.reason());
        try (Fd userNamespace = plan instanceof IdmapPlan.Created created
                ? idmapNamespaces.acquire(created.mapping()) : receiver.userNamespaceFd().dup()) {
            if (sourceMount != null) {
                Fd replaced;
                try {
                    replaced = source instanceof MountSource.GuestFolder guest
                            ? ns.inside(LinuxMountFacade.linux(guest.owner()).pidfd(), new Fd[] {tree, userNamespace},
                                    lent -> MountApi.cloneWithIdmap(lent[0], lent[1]))
                            : MountApi.cloneWithIdmap(tree, userNamespace);
                } catch (LinuxException e) {
                    if ("setns".equals(e.operation())) throw new MountRefused("owner container exited");
                    if (e.errno() == Errno.ENOSYS || e.errno() == Errno.EINVAL || e.errno() == Errno.EPERM) {
                        throw new MountRefused(alreadyIdmapped(what));
                    }
                    throw e;
                } catch (IOException | RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IOException(e);
                }
                tree.close();
                return replaced;
            }
            int errno = MountApi.trySetIdmap(tree, userNamespace);
            if (errno == 0) return tree;
            if (errno == Errno.EINVAL || errno == Errno.EPERM || errno == Errno.EOPNOTSUPP || errno == Errno.ENOSYS) {
                throw new MountRefused("cannot map owners: the filesystem of " + what + " does not support idmapped mounts");
            }
            throw new LinuxException("mount_setattr", what, errno, Errno.describe(errno));
        }
    }

    private static String alreadyIdmapped(String what) {
        return "cannot map owners: " + what + " is already an idmapped mount and this kernel cannot map it again";
    }
}
