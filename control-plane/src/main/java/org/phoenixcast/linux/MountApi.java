package org.phoenixcast.linux;

import java.util.ArrayList;
import java.util.List;

/**
 * The new mount API, pidfds and namespace calls. Every returned fd is close-on-exec.
 * Safe on the namespace thread (system calls only, classes loaded during warm-up).
 */
public final class MountApi {
    public static final int OPEN_TREE_CLONE = 1;
    public static final int AT_RECURSIVE = 0x8000;
    public static final int MOVE_MOUNT_F_EMPTY_PATH = 0x04;
    public static final int MOVE_MOUNT_T_EMPTY_PATH = 0x40;
    public static final long MOUNT_ATTR_RDONLY = 0x1;
    public static final long MOUNT_ATTR_NOSUID = 0x2;
    public static final long MOUNT_ATTR_NODEV = 0x4;
    public static final long MOUNT_ATTR_NOEXEC = 0x8;
    /** Idmap the mount with the user namespace in mount_attr.userns_fd (Linux 5.12). */
    public static final long MOUNT_ATTR_IDMAP = 0x00100000;
    public static final long MS_PRIVATE = 1L << 18;
    public static final long MS_SHARED = 1L << 20;
    public static final int MNT_DETACH = 2;
    public static final int CLONE_FS = 0x200;
    public static final int CLONE_NEWNS = 0x20000;

    private static final int FSOPEN_CLOEXEC = 1;
    private static final int FSCONFIG_SET_STRING = 1;
    private static final int FSCONFIG_CMD_CREATE = 6;
    private static final int FSMOUNT_CLOEXEC = 1;
    private static final int SIGNAL_ZERO = 0;
    private static final int STATX_MNT_ID_UNIQUE = 0x4000;
    private static final long STATMOUNT_MNT_BASIC = 0x2;
    private static final long STATMOUNT_MNT_UIDMAP = 0x2000;
    private static final long STATMOUNT_MNT_GIDMAP = 0x4000;
    /** struct statmount: fixed part before the strings, and the offsets castd reads. */
    private static final int STATMOUNT_STRINGS = 512;
    private static final int STATMOUNT_MASK = 8;
    private static final int STATMOUNT_MNT_ATTR = 64;
    private static final int STATMOUNT_UIDMAP_NUM = 152;
    /** Room for the fixed part and a few map lines: enough for the usual one-range maps. */
    private static final int STATMOUNT_SMALL_BUFFER = 1024;
    /** Room for the fixed part and two maps of 340 lines of three 10-digit numbers. */
    private static final int STATMOUNT_BUFFER = STATMOUNT_STRINGS + 2 * 340 * 33 + 64;

    private MountApi() {}

    /** open_tree(dir, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH): a detached, non-recursive clone. */
    public static Fd cloneTree(Fd dir) throws LinuxException {
        long fd = Native.libc().syscall(Native.SYS_OPEN_TREE, dir.get(), Native.EMPTY_PATH,
                OPEN_TREE_CLONE | Kernel.O_CLOEXEC | Kernel.AT_EMPTY_PATH);
        if (fd < 0) throw Native.failure("open_tree", dir.description());
        return new Fd((int) fd, dir.description());
    }

    /** mount_setattr(tree, "", AT_EMPTY_PATH, {set, clear, propagation, 0}). */
    public static void setAttributes(Fd tree, long set, long clear, long propagation) throws LinuxException {
        long[] attr = {set, clear, propagation, 0L};
        long rc = Native.libc().syscall(Native.SYS_MOUNT_SETATTR, tree.get(), Native.EMPTY_PATH,
                Kernel.AT_EMPTY_PATH, attr, 32L);
        if (rc < 0) throw Native.failure("mount_setattr", tree.description());
    }

    /**
     * mount_setattr like {@link #setAttributes}, but reports failure as the errno (0 on success)
     * instead of an exception: for probes whose expected outcome is a refusal.
     */
    public static int trySetAttributes(Fd tree, long set, long clear, long propagation) {
        long[] attr = {set, clear, propagation, 0L};
        long rc = Native.libc().syscall(Native.SYS_MOUNT_SETATTR, tree.get(), Native.EMPTY_PATH,
                Kernel.AT_EMPTY_PATH, attr, 32L);
        return rc < 0 ? Native.errno() : 0;
    }

    /**
     * mount_setattr(tree, "", AT_EMPTY_PATH, {MOUNT_ATTR_IDMAP, 0, 0, userNamespace}) on a detached
     * tree: files then show with the owners the namespace's maps give them. Returns 0 or the
     * errno: EINVAL when the file system cannot be idmapped, EPERM when the mount already is.
     */
    public static int trySetIdmap(Fd tree, Fd userNamespace) {
        long[] attr = {MOUNT_ATTR_IDMAP, 0L, 0L, userNamespace.get()};
        long rc = Native.libc().syscall(Native.SYS_MOUNT_SETATTR, tree.get(), Native.EMPTY_PATH,
                Kernel.AT_EMPTY_PATH, attr, 32L);
        return rc < 0 ? Native.errno() : 0;
    }

    /**
     * open_tree_attr(tree, "", OPEN_TREE_CLONE | AT_EMPTY_PATH, {MOUNT_ATTR_IDMAP, 0, 0, userNamespace}):
     * a new detached clone of an already idmapped tree whose idmapping is replaced (not stacked)
     * by the namespace's. Linux 6.15; ENOSYS before.
     */
    public static Fd cloneWithIdmap(Fd tree, Fd userNamespace) throws LinuxException {
        long[] attr = {MOUNT_ATTR_IDMAP, 0L, 0L, userNamespace.get()};
        long fd = Native.libc().syscall(Native.SYS_OPEN_TREE_ATTR, tree.get(), Native.EMPTY_PATH,
                OPEN_TREE_CLONE | Kernel.O_CLOEXEC | Kernel.AT_EMPTY_PATH, attr, 32L);
        if (fd < 0) throw Native.failure("open_tree_attr", tree.description());
        return new Fd((int) fd, tree.description());
    }

    /**
     * The idmapping of the mount {@code dir} lies on, in the calling thread's mount namespace
     * (on the namespace thread: the namespace it entered). statx gives the mount's unique id,
     * statmount its attributes and maps. System calls and string decoding only.
     */
    public static MountIdmap mountIdmap(Fd dir) throws LinuxException {
        byte[] sx = new byte[Stat.SIZE];
        long rc = Native.libc().syscall(Native.SYS_STATX, dir.get(), Native.EMPTY_PATH,
                Kernel.AT_EMPTY_PATH | Kernel.AT_SYMLINK_NOFOLLOW, STATX_MNT_ID_UNIQUE, sx);
        if (rc < 0) throw Native.failure("statx", dir.description());
        java.nio.ByteBuffer s = java.nio.ByteBuffer.wrap(sx).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        if ((s.getInt(0) & STATX_MNT_ID_UNIQUE) == 0) return MountIdmap.UNKNOWN;
        long[] request = {32L, s.getLong(144), STATMOUNT_MNT_BASIC | STATMOUNT_MNT_UIDMAP | STATMOUNT_MNT_GIDMAP, 0L};
        byte[] buf = new byte[STATMOUNT_SMALL_BUFFER];
        if (Native.libc().syscall(Native.SYS_STATMOUNT, request, buf, buf.length, 0) < 0) {
            // ENOSYS before Linux 6.8; any failure leaves it unknown, and the caller then refuses
            // rather than guesses if setting an idmap fails (never a wrong mapping)
            if (Native.errno() != Errno.EOVERFLOW) return MountIdmap.UNKNOWN;
            buf = new byte[STATMOUNT_BUFFER]; // maps of many ranges
            if (Native.libc().syscall(Native.SYS_STATMOUNT, request, buf, buf.length, 0) < 0) return MountIdmap.UNKNOWN;
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(buf).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long mask = b.getLong(STATMOUNT_MASK);
        if ((mask & STATMOUNT_MNT_BASIC) == 0) return MountIdmap.UNKNOWN;
        if ((b.getLong(STATMOUNT_MNT_ATTR) & MOUNT_ATTR_IDMAP) == 0) return MountIdmap.PLAIN;
        if ((mask & (STATMOUNT_MNT_UIDMAP | STATMOUNT_MNT_GIDMAP)) != (STATMOUNT_MNT_UIDMAP | STATMOUNT_MNT_GIDMAP)) {
            return MountIdmap.MAP_UNKNOWN;
        }
        return new MountIdmap(MountIdmap.State.IDMAPPED, statmountLines(buf, b, STATMOUNT_UIDMAP_NUM),
                statmountLines(buf, b, STATMOUNT_UIDMAP_NUM + 8));
    }

    /** The NUL-separated strings of one statmount map ({@code at}: its count, then its offset), one per line. */
    private static String statmountLines(byte[] buf, java.nio.ByteBuffer b, int at) throws LinuxException {
        int count = b.getInt(at);
        int pos = STATMOUNT_STRINGS + b.getInt(at + 4);
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < count; i++) {
            int end = pos;
            while (end < buf.length && buf[end] != 0) end++;
            if (end >= buf.length) throw new LinuxException("statmount", "id map", Errno.EOVERFLOW, "map truncated");
            lines.append(new String(buf, pos, end - pos, java.nio.charset.StandardCharsets.US_ASCII)).append('\n');
            pos = end + 1;
        }
        return lines.toString();
    }

    /** move_mount(tree, "", target, "", F_EMPTY_PATH | T_EMPTY_PATH): attach onto the held target fd. */
    public static void moveOnto(Fd tree, Fd target) throws LinuxException {
        long rc = Native.libc().syscall(Native.SYS_MOVE_MOUNT, tree.get(), Native.EMPTY_PATH, target.get(),
                Native.EMPTY_PATH, MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
        if (rc < 0) throw Native.failure("move_mount", target.description());
    }

    /** move_mount onto an admin-trusted host path (host namespace only). */
    public static void moveOntoHostPath(Fd tree, String hostPath) throws LinuxException {
        long rc = Native.libc().syscall(Native.SYS_MOVE_MOUNT, tree.get(), Native.EMPTY_PATH, Kernel.AT_FDCWD,
                Native.path(hostPath), MOVE_MOUNT_F_EMPTY_PATH);
        if (rc < 0) throw Native.failure("move_mount", hostPath);
    }

    /**
     * A new detached tmpfs: fsopen, fsconfig string options (in order, plus source), create,
     * fsmount with {@code attributes}.
     */
    public static Fd newTmpfs(String source, List<String[]> options, long attributes) throws LinuxException {
        long ctx = Native.libc().syscall(Native.SYS_FSOPEN, Native.path("tmpfs"), FSOPEN_CLOEXEC);
        if (ctx < 0) throw Native.failure("fsopen", "tmpfs");
        try (Fd context = new Fd((int) ctx, "tmpfs context")) {
            List<String[]> all = new ArrayList<>(options);
            all.add(new String[] {"source", source});
            for (String[] kv : all) {
                long rc = Native.libc().syscall(Native.SYS_FSCONFIG, context.get(), FSCONFIG_SET_STRING,
                        Native.path(kv[0]), Native.path(kv[1]), 0);
                if (rc < 0) throw Native.failure("fsconfig", kv[0] + "=" + kv[1]);
            }
            if (Native.libc().syscall(Native.SYS_FSCONFIG, context.get(), FSCONFIG_CMD_CREATE, null, null, 0) < 0) {
                throw Native.failure("fsconfig", "create");
            }
            long mnt = Native.libc().syscall(Native.SYS_FSMOUNT, context.get(), FSMOUNT_CLOEXEC, (int) attributes);
            if (mnt < 0) throw Native.failure("fsmount", "tmpfs");
            return new Fd((int) mnt, "tmpfs " + source);
        }
    }

    public static Fd pidfdOpen(int pid) throws LinuxException {
        long fd = Native.libc().syscall(Native.SYS_PIDFD_OPEN, pid, 0);
        if (fd < 0) throw Native.failure("pidfd_open", "pid " + pid);
        return new Fd((int) fd, "pidfd " + pid);
    }

    /**
     * True while the process lives. A pidfd turns readable when the process exits, even while
     * it is an unreaped zombie (which pidfd_send_signal 0 would still accept), so poll it first;
     * then pidfd_send_signal(pidfd, 0), false on ESRCH.
     */
    public static boolean isAlive(Fd pidfd) throws LinuxException {
        byte[] pollfd = {0, 0, 0, 0, 1 /* POLLIN */, 0, 0, 0};
        int fd = pidfd.get();
        pollfd[0] = (byte) fd;
        pollfd[1] = (byte) (fd >>> 8);
        pollfd[2] = (byte) (fd >>> 16);
        pollfd[3] = (byte) (fd >>> 24);
        int ready = Native.libc().poll(pollfd, 1, 0);
        if (ready < 0) throw Native.failure("poll", pidfd.description());
        if (ready > 0 && (pollfd[6] & 1) != 0) return false;
        if (Native.libc().syscall(Native.SYS_PIDFD_SEND_SIGNAL, fd, SIGNAL_ZERO, null, 0) == 0) return true;
        if (Native.errno() == Errno.ESRCH) return false;
        throw Native.failure("pidfd_send_signal", pidfd.description());
    }

    /** umount2 by path (an admin-trusted host path, or a /proc fd path relative to the cwd). */
    public static void unmount(String path, int flags) throws LinuxException {
        unmount(Native.path(path), path, flags);
    }

    static void unmount(byte[] path, String what, int flags) throws LinuxException {
        if (Native.libc().umount2(path, flags) < 0) throw Native.failure("umount2", what);
    }

    public static void fchdir(Fd dir) throws LinuxException {
        if (Native.libc().fchdir(dir.get()) < 0) throw Native.failure("fchdir", dir.description());
    }

    public static void unshare(int flags) throws LinuxException {
        if (Native.libc().unshare(flags) < 0) throw Native.failure("unshare", null);
    }

    /** setns(fd, nstype); fd is a namespace fd or a pidfd. */
    public static void setns(Fd fd, int nsType) throws LinuxException {
        if (Native.libc().setns(fd.get(), nsType) < 0) throw Native.failure("setns", fd.description());
    }

    /**
     * Checks that libc loads and the kernel has every system call castd needs. Each is called
     * with invalid arguments: ENOSYS means missing, any other error means present.
     *
     * @return null when all is well, else one line naming what is missing
     */
    public static String probe() {
        String problem = Native.loadProblem();
        if (problem != null) return problem;
        Native.LibC c = Native.libc();
        List<String> missing = new ArrayList<>();
        long[] how = {0, 0, 0};
        long[] attr = {0, 0, 0, 0};
        if (c.syscall(Native.SYS_OPEN_TREE, -1, Native.EMPTY_PATH, 0) < 0 && Native.errno() == Errno.ENOSYS) {
            missing.add("open_tree");
        }
        if (c.syscall(Native.SYS_MOVE_MOUNT, -1, Native.EMPTY_PATH, -1, Native.EMPTY_PATH, 0) < 0
                && Native.errno() == Errno.ENOSYS) {
            missing.add("move_mount");
        }
        if (c.syscall(Native.SYS_FSOPEN, Native.EMPTY_PATH, -1) < 0 && Native.errno() == Errno.ENOSYS) {
            missing.add("fsopen");
        }
        if (c.syscall(Native.SYS_FSMOUNT, -1, -1, -1) < 0 && Native.errno() == Errno.ENOSYS) missing.add("fsmount");
        if (c.syscall(Native.SYS_FSCONFIG, -1, -1, null, null, 0) < 0 && Native.errno() == Errno.ENOSYS) {
            missing.add("fsconfig");
        }
        if (c.syscall(Native.SYS_MOUNT_SETATTR, -1, Native.EMPTY_PATH, 0, attr, 32L) < 0
                && Native.errno() == Errno.ENOSYS) {
            missing.add("mount_setattr");
        }
        if (c.syscall(Native.SYS_OPENAT2, -1, Native.EMPTY_PATH, how, 24L) < 0 && Native.errno() == Errno.ENOSYS) {
            missing.add("openat2");
        }
        if (c.syscall(Native.SYS_PIDFD_OPEN, -1, 0) < 0 && Native.errno() == Errno.ENOSYS) missing.add("pidfd_open");
        if (c.syscall(Native.SYS_PIDFD_SEND_SIGNAL, -1, 0, null, 0) < 0 && Native.errno() == Errno.ENOSYS) {
            missing.add("pidfd_send_signal");
        }
        if (c.syscall(Native.SYS_STATX, -1, Native.EMPTY_PATH, 0, 0, new byte[Stat.SIZE]) < 0
                && Native.errno() == Errno.ENOSYS) {
            missing.add("statx");
        }
        return missing.isEmpty() ? null : "the kernel lacks system calls castd needs: " + String.join(", ", missing);
    }
}
