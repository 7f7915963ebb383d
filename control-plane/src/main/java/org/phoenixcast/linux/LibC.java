package org.phoenixcast.linux;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * Every libc function and raw system call castd uses, bound once through jnr-ffi (see
 * {@link Native}). Package-private: the rest of castd sees {@link Kernel}, {@link MountApi} and
 * the directory types.
 *
 * <p>Paths are NUL-terminated byte arrays built by {@link Native#path}, never Java Strings, so
 * no charset conversion happens in jnr-ffi. The {@code syscall} overloads are the raw x86-64
 * system calls of the new mount API (glibc 2.36 has no wrappers for most of them); int
 * arguments are fine for the kernel's int parameters because the kernel truncates them, sizes
 * are passed as long.
 */
interface LibC {
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

    /** mount_setattr(dfd, path, flags, struct mount_attr *, size) */
    long syscall(long nr, int dfd, @In byte[] path, int flags, @In long[] attr, long size);

    /** pidfd_send_signal(pidfd, sig, siginfo *, flags) */
    long syscall(long nr, int pidfd, int sig, Pointer info, int flags);

    /** statx(dfd, path, flags, mask, struct statx *) */
    long syscall(long nr, int dfd, @In byte[] path, int flags, int mask, @Out byte[] statx);

    // --- libc ---
    int openat(int dfd, @In byte[] path, int flags, int mode);

    int close(int fd);

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
