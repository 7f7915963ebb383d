package org.phoenixcast.mount;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.phoenixcast.linux.Errno;
import org.phoenixcast.linux.Fd;
import org.phoenixcast.linux.Kernel;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.linux.MountApi;
import org.phoenixcast.linux.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * castd's bounded control tmpfs mounts (drop directories, /syscmd, replies) on host paths the
 * admin configured. Mounted nosuid,nodev: a guest that can write a device node into its drop
 * directory must not make castd open a device. Their devices are remembered so that they are
 * never accepted as a share source.
 */
final class ControlTmpfs {
    private static final Logger LOG = LoggerFactory.getLogger(ControlTmpfs.class);
    static final String SOURCE = "phoenix-cast";

    private final Fd hostProc;
    private final Set<String> devices = ConcurrentHashMap.newKeySet();

    ControlTmpfs(Fd hostProc) {
        this.hostProc = hostProc;
    }

    Set<String> devices() {
        return devices;
    }

    String ensure(Path hostDirectory, long maxBytes, long maxInodes, int mode) throws IOException {
        if (maxBytes <= 0 || maxInodes <= 0) throw new IllegalArgumentException("tmpfs limits must be positive");
        Path dir = hostDirectory.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir.getParent());
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // created meanwhile; fine
            }
        }
        Path real = dir.toRealPath();
        MountInfo existing = castdMountAt(real);
        if (existing != null) {
            devices.add(existing.device());
            LOG.debug("keeping tmpfs {} at {}", existing.device(), real);
            return existing.device();
        }
        List<String[]> options = List.of(
                new String[] {"size", Long.toString(maxBytes)},
                new String[] {"nr_inodes", Long.toString(maxInodes)},
                new String[] {"mode", Integer.toOctalString(mode & 07777)});
        try (Fd mount = MountApi.newTmpfs(SOURCE, options, MountApi.MOUNT_ATTR_NOSUID | MountApi.MOUNT_ATTR_NODEV)) {
            Stat stat = Kernel.stat(mount);
            devices.add(stat.device());
            MountApi.moveOntoHostPath(mount, real.toString());
            LOG.info("mounted tmpfs {} at {} ({} bytes, {} inodes)", stat.device(), real, maxBytes, maxInodes);
            return stat.device();
        }
    }

    void remove(Path hostDirectory) throws IOException {
        Path dir = hostDirectory.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) return;
        Path real = dir.toRealPath();
        MountInfo existing = castdMountAt(real);
        if (existing == null) return;
        try {
            MountApi.unmount(real.toString(), MountApi.MNT_DETACH);
        } catch (LinuxException e) {
            if (e.errno() != Errno.EINVAL) throw e;
        }
        devices.remove(existing.device());
    }

    /** The top-most mount at {@code real} in the host table if it is a castd tmpfs, else null. */
    private MountInfo castdMountAt(Path real) throws LinuxException {
        MountInfo top = null;
        List<MountInfo> table;
        try (Fd self = Kernel.openat(hostProc, "self", Kernel.O_PATH | Kernel.O_DIRECTORY, 0)) {
            table = MountTable.read(self);
        }
        for (MountInfo m : table) {
            if (m.mountPoint().equals(real.toString())) top = m; // later lines are mounted on top
        }
        if (top != null && top.fsType().equals("tmpfs") && top.source().equals(SOURCE)) return top;
        return null;
    }
}
