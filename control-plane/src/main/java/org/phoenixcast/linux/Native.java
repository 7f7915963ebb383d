package org.phoenixcast.linux;

import java.nio.charset.StandardCharsets;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * Loads {@link LibC} once and holds the constants of the x86-64 kernel ABI castd relies on.
 * Errno is read with {@link #errno()} on the calling thread right after the failed call.
 */
final class Native {
    static final long SYS_STATX = 332;
    static final long SYS_PIDFD_SEND_SIGNAL = 424;
    static final long SYS_OPEN_TREE = 428;
    static final long SYS_MOVE_MOUNT = 429;
    static final long SYS_FSOPEN = 430;
    static final long SYS_FSCONFIG = 431;
    static final long SYS_FSMOUNT = 432;
    static final long SYS_PIDFD_OPEN = 434;
    static final long SYS_OPENAT2 = 437;
    static final long SYS_MOUNT_SETATTR = 442;
    static final long SYS_STATMOUNT = 457;
    static final long SYS_OPEN_TREE_ATTR = 467;

    static final byte[] EMPTY_PATH = {0};

    private static final LibC LIBC;
    private static final Runtime RUNTIME;
    private static final Throwable LOAD_FAILURE;

    static {
        LibC libc = null;
        Runtime runtime = null;
        Throwable failure = null;
        try {
            if (!"amd64".equals(System.getProperty("os.arch")) && !"x86_64".equals(System.getProperty("os.arch"))) {
                throw new UnsupportedOperationException("system call numbers are for x86-64, this is "
                        + System.getProperty("os.arch"));
            }
            libc = LibraryLoader.create(LibC.class)
                    .option(LibraryOption.SaveError, Boolean.TRUE)
                    .option(LibraryOption.LoadNow, Boolean.TRUE)
                    .failImmediately()
                    .load("c");
            runtime = Runtime.getRuntime(libc);
        } catch (Throwable t) {
            failure = t;
        }
        LIBC = libc;
        RUNTIME = runtime;
        LOAD_FAILURE = failure;
    }

    private Native() {}

    static LibC libc() {
        if (LIBC == null) throw new IllegalStateException("jnr-ffi could not load libc: " + LOAD_FAILURE, LOAD_FAILURE);
        return LIBC;
    }

    /** Null when libc loaded, else why not (one line). */
    static String loadProblem() {
        return LIBC != null ? null : "jnr-ffi could not load libc: " + LOAD_FAILURE;
    }

    static int errno() {
        return LastError.getLastError(RUNTIME);
    }

    /** The LinuxException for the errno of the call that just failed on this thread. */
    static LinuxException failure(String operation, String path) {
        int errno = errno();
        return new LinuxException(operation, path, errno, Errno.describe(errno));
    }

    /** NUL-terminated UTF-8 bytes of a path or name. Refuses embedded NULs. */
    static byte[] path(String path) {
        byte[] utf8 = path.getBytes(StandardCharsets.UTF_8);
        byte[] result = new byte[utf8.length + 1];
        for (int i = 0; i < utf8.length; i++) {
            if (utf8[i] == 0) throw new IllegalArgumentException("path contains NUL");
            result[i] = utf8[i];
        }
        return result;
    }

    /** NUL-terminated copy of raw name bytes (as getdents64 returned them). */
    static byte[] path(byte[] raw) {
        byte[] result = new byte[raw.length + 1];
        System.arraycopy(raw, 0, result, 0, raw.length);
        return result;
    }

    /**
     * Every libc function and raw system call castd uses, bound once through jnr-ffi.
     * Declared public only because jnr-ffi generates its implementation in another class loader;
     * nested in the package-private {@link Native}, it cannot be named outside this package. The
     * rest of castd sees {@link Kernel}, {@link MountApi} and the directory types.
     *
     * <p>Paths are NUL-terminated byte arrays built by {@link Native#path}, never Java Strings, so
     * no charset conversion happens in jnr-ffi. The {@code syscall} overloads are the raw x86-64
     * system calls of the new mount API (glibc 2.36 has no wrappers for most of them); int
     * arguments are fine for the kernel's int parameters because the kernel truncates them, sizes
     * are passed as long.
     */
    public interface LibC {
        // --- raw system calls (numbers in Native) ---
        /** open_tree(dfd, path, flags) */
        long syscall(long nr, int dfd, @In byte[] path, int flags);

        /** move_mount(from_dfd, from_path, to_dfd, to_path, flags) */
        long syscall(long nr, int fromDfd, @In byte[] fromPath, int toDfd, @In byte[] toPath, int flags);

        /** fsopen(fsname, flags) */
        long syscall(long nr, @In byte[] fsName, int flags);

        /** fsconfig(fd, cmd, key, value, aux) */
        long syscall(long nr, int fd, int cmd, @In byte[] key, @In byte[] value, int aux);

        /** fsmount(fd, flags, attr_flags) */
        long syscall(long nr, int fd, int flags, int attrFlags);

        /** pidfd_open(pid, flags) */
        long syscall(long nr, int pid, int flags);

        /** openat2(dfd, path, struct open_how *, size): how = {flags, mode, resolve} */
        long syscall(long nr, int dfd, @In byte[] path, @In long[] how, long size);

        /** mount_setattr(dfd, path, flags, struct mount_attr *, size); also open_tree_attr, same shape */
        long syscall(long nr, int dfd, @In byte[] path, int flags, @In long[] attr, long size);

        /** statmount(struct mnt_id_req *, struct statmount *buf, bufsize, flags) */
        long syscall(long nr, @In long[] request, @Out byte[] buf, long size, int flags);

        /** pidfd_send_signal(pidfd, sig, siginfo *, flags) */
        long syscall(long nr, int pidfd, int sig, Pointer info, int flags);

        /** statx(dfd, path, flags, mask, struct statx *) */
        long syscall(long nr, int dfd, @In byte[] path, int flags, int mask, @Out byte[] statx);

        // --- libc ---
        int openat(int dfd, @In byte[] path, int flags, int mode);

        int close(int fd);

        /** fcntl(fd, cmd, int arg): F_DUPFD_CLOEXEC and F_SETLEASE. */
        int fcntl(int fd, int cmd, int arg);

        long read(int fd, @Out byte[] buf, long count);

        long write(int fd, @In byte[] buf, long count);

        int fstatfs(int fd, @Out byte[] statfs);

        int mkdirat(int dfd, @In byte[] path, int mode);

        int unlinkat(int dfd, @In byte[] path, int flags);

        int renameat(int oldDfd, @In byte[] oldPath, int newDfd, @In byte[] newPath);

        int fchmod(int fd, int mode);

        int fchdir(int fd);

        int umount2(@In byte[] target, int flags);

        int unshare(int flags);

        int setns(int fd, int nsType);

        long getdents64(int fd, @Out byte[] buf, long count);

        int inotify_init1(int flags);

        int inotify_add_watch(int fd, @In byte[] path, int mask);

        int inotify_rm_watch(int fd, int wd);

        int eventfd(int initval, int flags);

        /** poll(struct pollfd *fds, nfds, timeout); pollfd = {int fd; short events; short revents}. */
        int poll(byte[] fds, long nfds, int timeoutMillis);
    }
}
