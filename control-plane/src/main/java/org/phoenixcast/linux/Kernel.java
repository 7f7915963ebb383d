package org.phoenixcast.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * File-descriptor based file system calls. Every fd is opened O_CLOEXEC. Methods taking a
 * {@link Fd} directory resolve relative to it; only {@link #openHost} takes a host path, and it
 * is for admin-trusted paths only (it follows symlinks in the host namespace).
 *
 * <p>Safe on the namespace thread: these methods only make system calls and touch classes
 * loaded during warm-up (no file is opened by path behind the caller's back).
 */
public final class Kernel {
    public static final int AT_FDCWD = -100;
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_NOCTTY = 0400;
    public static final int O_NONBLOCK = 04000;
    public static final int O_DIRECTORY = 0200000;
    public static final int O_NOFOLLOW = 0400000;
    public static final int O_CLOEXEC = 02000000;
    public static final int O_PATH = 010000000;

    public static final long RESOLVE_NO_XDEV = 0x01;
    public static final long RESOLVE_NO_MAGICLINKS = 0x02;
    public static final long RESOLVE_NO_SYMLINKS = 0x04;
    public static final long RESOLVE_BENEATH = 0x08;
    public static final long RESOLVE_IN_ROOT = 0x10;

    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final int AT_REMOVEDIR = 0x200;
    static final int AT_EMPTY_PATH = 0x1000;
    static final int STATX_BASIC_STATS = 0x7ff;
    static final int STATX_MNT_ID = 0x1000;

    private Kernel() {}

    /** Opens an admin-trusted host path (AT_FDCWD, host namespace only). */
    public static Fd openHost(Path path, int flags) throws LinuxException {
        String p = path.toString();
        int fd = Native.libc().openat(AT_FDCWD, Native.path(p), flags | O_CLOEXEC, 0);
        if (fd < 0) throw Native.failure("open", p);
        return new Fd(fd, p);
    }

    /** openat(dir, name, flags | O_CLOEXEC, mode). */
    public static Fd openat(Fd dir, String name, int flags, int mode) throws LinuxException {
        return openat(dir, Native.path(name), name, flags, mode);
    }

    static Fd openat(Fd dir, byte[] path, String what, int flags, int mode) throws LinuxException {
        int fd = Native.libc().openat(dir.get(), path, flags | O_CLOEXEC, mode);
        if (fd < 0) throw Native.failure("openat", what);
        return new Fd(fd, what);
    }

    /** openat2(dir, path, {flags | O_CLOEXEC, 0, resolve}). */
    public static Fd openat2(Fd dir, String path, int flags, long resolve) throws LinuxException {
        long[] how = {Integer.toUnsignedLong(flags | O_CLOEXEC), 0L, resolve};
        long fd = Native.libc().syscall(Native.SYS_OPENAT2, dir.get(), Native.path(path), how, 24L);
        if (fd < 0) throw Native.failure("openat2", path);
        return new Fd((int) fd, path);
    }

    /** statx of the fd itself (AT_EMPTY_PATH), basic stats plus the mount id. */
    public static Stat stat(Fd fd) throws LinuxException {
        byte[] buf = new byte[Stat.SIZE];
        long rc = Native.libc().syscall(Native.SYS_STATX, fd.get(), Native.EMPTY_PATH,
                AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_MNT_ID, buf);
        if (rc < 0) throw Native.failure("statx", fd.description());
        return Stat.decode(buf);
    }

    /** statx of an entry in dir without following a symlink. */
    static Stat statAt(Fd dir, byte[] name, String what) throws LinuxException {
        byte[] buf = new byte[Stat.SIZE];
        long rc = Native.libc().syscall(Native.SYS_STATX, dir.get(), name, AT_SYMLINK_NOFOLLOW,
                STATX_BASIC_STATS | STATX_MNT_ID, buf);
        if (rc < 0) throw Native.failure("statx", what);
        return Stat.decode(buf);
    }

    /** f_type of the file system the fd is on (works on O_PATH fds). */
    public static long fileSystemType(Fd fd) throws LinuxException {
        byte[] buf = new byte[128];
        if (Native.libc().fstatfs(fd.get(), buf) < 0) throw Native.failure("fstatfs", fd.description());
        return ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    /** mkdirat; returns false when the entry already exists (of any type). */
    public static boolean mkdirat(Fd dir, String name, int mode) throws LinuxException {
        if (Native.libc().mkdirat(dir.get(), Native.path(name), mode) == 0) return true;
        if (Native.errno() == Errno.EEXIST) return false;
        throw Native.failure("mkdirat", name);
    }

    /** unlinkat; returns false when missing. */
    static boolean unlinkat(Fd dir, byte[] name, String what, boolean directory) throws LinuxException {
        if (Native.libc().unlinkat(dir.get(), name, directory ? AT_REMOVEDIR : 0) == 0) return true;
        if (Native.errno() == Errno.ENOENT) return false;
        throw Native.failure("unlinkat", what);
    }

    static void renameat(Fd dir, String from, String to) throws LinuxException {
        if (Native.libc().renameat(dir.get(), Native.path(from), dir.get(), Native.path(to)) < 0) {
            throw Native.failure("renameat", to);
        }
    }

    static void fchmod(Fd fd, int mode) throws LinuxException {
        if (Native.libc().fchmod(fd.get(), mode) < 0) throw Native.failure("fchmod", fd.description());
    }

    /** Reads until EOF or {@code max} bytes, whichever comes first; never asks for more than max. */
    public static byte[] readAtMost(Fd fd, int max) throws LinuxException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(Math.min(max, 8192));
        byte[] chunk = new byte[Math.min(65536, Math.max(max, 1))];
        while (out.size() < max) {
            int want = Math.min(chunk.length, max - out.size());
            long n = Native.libc().read(fd.get(), chunk, want);
            if (n < 0) {
                if (Native.errno() == Errno.EINTR) continue;
                throw Native.failure("read", fd.description());
            }
            if (n == 0) break;
            out.write(chunk, 0, (int) n);
        }
        return out.toByteArray();
    }

    /** Opens {@code name} relative to {@code dir} (O_RDONLY | O_NOFOLLOW) and reads at most {@code max} bytes. */
    public static byte[] readAt(Fd dir, String name, int max) throws LinuxException {
        try (Fd file = openat(dir, name, O_RDONLY | O_NOFOLLOW, 0)) {
            return readAtMost(file, max);
        }
    }

    /**
     * Opens {@code name} relative to {@code dir} (O_WRONLY | O_NOFOLLOW) and writes {@code content}
     * in one write(2): files such as /proc/PID/uid_map accept exactly one write.
     */
    public static void writeAt(Fd dir, String name, byte[] content) throws LinuxException {
        try (Fd file = openat(dir, name, O_WRONLY | O_NOFOLLOW, 0)) {
            long n = Native.libc().write(file.get(), content, content.length);
            if (n < 0) throw Native.failure("write", name);
            if (n != content.length) throw new LinuxException("write", name, Errno.EIO, "short write of " + n + " bytes");
        }
    }

    static void writeAll(Fd fd, byte[] content) throws LinuxException {
        int done = 0;
        while (done < content.length) {
            byte[] chunk = done == 0 ? content : java.util.Arrays.copyOfRange(content, done, content.length);
            long n = Native.libc().write(fd.get(), chunk, chunk.length);
            if (n < 0) {
                if (Native.errno() == Errno.EINTR) continue;
                throw Native.failure("write", fd.description());
            }
            done += (int) n;
        }
    }

    /** One getdents64 call into buf; returns bytes filled, 0 at the end. */
    static int getdents(Fd dir, byte[] buf) throws LinuxException {
        long n = Native.libc().getdents64(dir.get(), buf, buf.length);
        if (n < 0) throw Native.failure("getdents64", dir.description());
        return (int) n;
    }
}
