package org.phoenixcast.mount;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.phoenixcast.linux.Stat;

/**
 * Kernel-level checks on a share source, made on the same fd that gets cloned (no window
 * between check and clone). Refused: non-directories, pseudo file systems (whose files are
 * kernel interfaces: sharing /proc or /sys of one guest or the host leaks or controls them),
 * devtmpfs, and castd's own control tmpfs (sharing a drop or /syscmd directory would let a
 * receiver write requests as its owner).
 */
final class SourcePolicy {
    /** statfs f_type values (linux/magic.h) of pseudo file systems, with their names. */
    static final Map<Long, String> PSEUDO_MAGIC = Map.ofEntries(
            Map.entry(0x9fa0L, "proc"),
            Map.entry(0x62656572L, "sysfs"),
            Map.entry(0x1cd1L, "devpts"),
            Map.entry(0x27e0ebL, "cgroup"),
            Map.entry(0x63677270L, "cgroup2"),
            Map.entry(0x64626720L, "debugfs"),
            Map.entry(0x74726163L, "tracefs"),
            Map.entry(0x73636673L, "securityfs"),
            Map.entry(0xcafe4a11L, "bpf"),
            Map.entry(0x6165676cL, "pstore"),
            Map.entry(0xde5e81e4L, "efivarfs"),
            Map.entry(0x62656570L, "configfs"),
            Map.entry(0x65735543L, "fusectl"),
            Map.entry(0x19800202L, "mqueue"),
            Map.entry(0x42494e4dL, "binfmt_misc"),
            Map.entry(0xf97cff8cL, "selinuxfs"),
            Map.entry(0x6e736673L, "nsfs"),
            Map.entry(0x0187L, "autofs"),
            Map.entry(0x43415d53L, "smackfs"));

    /** mountinfo fs types refused even when f_type looks harmless (devtmpfs reports tmpfs's magic). */
    static final Set<String> PSEUDO_NAMES = Set.of("proc", "sysfs", "devpts", "cgroup", "cgroup2", "debugfs",
            "tracefs", "securityfs", "bpf", "pstore", "efivarfs", "configfs", "fusectl", "mqueue", "binfmt_misc",
            "selinuxfs", "nsfs", "autofs", "devtmpfs", "smackfs", "rpc_pipefs", "hugetlbfs");

    /** tmpfs and devtmpfs share this f_type; only then is the mount table consulted. */
    static final long TMPFS_MAGIC = 0x01021994L;

    /** Supplies the owner's mount table (read only when needed). */
    @FunctionalInterface
    interface Table {
        List<MountInfo> read() throws org.phoenixcast.linux.LinuxException;
    }

    private SourcePolicy() {}

    /**
     * @param stat statx of the source fd
     * @param fsMagic fstatfs f_type of the source fd
     * @param ownerMounts the owner's mount table (host's for host paths), read only for tmpfs
     *     magic, to tell devtmpfs from tmpfs by the source's mount id
     * @param controlDevices "major:minor" of castd's control tmpfs mounts
     * @return null when acceptable, else the refusal reason (without the path)
     */
    static String problem(Stat stat, long fsMagic, Table ownerMounts, Set<String> controlDevices)
            throws org.phoenixcast.linux.LinuxException {
        if (!stat.isDirectory()) return "not a directory";
        String pseudo = PSEUDO_MAGIC.get(fsMagic & 0xffffffffL);
        if (pseudo != null) return "is on a pseudo file system (" + pseudo + ")";
        if ((fsMagic & 0xffffffffL) == TMPFS_MAGIC) {
            for (MountInfo m : ownerMounts.read()) {
                if (m.mountId() == stat.mountId() && PSEUDO_NAMES.contains(m.fsType())) {
                    return "is on a pseudo file system (" + m.fsType() + ")";
                }
            }
        }
        if (controlDevices.contains(stat.device())) return "is a phoenix-cast control directory";
        return null;
    }
}
