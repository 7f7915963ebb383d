package org.phoenixcast.linux;

/**
 * Errno values castd tests for, and their texts. The texts are a Java table rather than
 * strerror(3): glibc may open message catalogues by path to translate, and on the namespace
 * thread a path resolves inside a container (a guest could plant a FIFO there and stall us).
 */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EXDEV = 18;
    public static final int ENODEV = 19;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int EMFILE = 24;
    public static final int ENOSPC = 28;
    public static final int EROFS = 30;
    public static final int EMLINK = 31;
    public static final int ENAMETOOLONG = 36;
    public static final int ENOSYS = 38;
    public static final int ENOTEMPTY = 39;
    public static final int ELOOP = 40;
    public static final int EOPNOTSUPP = 95;
    public static final int E2BIG = 7;
    public static final int ETXTBSY = 26;
    public static final int EOVERFLOW = 75;
    public static final int ENOTCONN = 107;
    public static final int ETIMEDOUT = 110;

    private static final String[] TEXT = new String[134];

    static {
        TEXT[EPERM] = "Operation not permitted";
        TEXT[ENOENT] = "No such file or directory";
        TEXT[ESRCH] = "No such process";
        TEXT[EINTR] = "Interrupted system call";
        TEXT[EIO] = "Input/output error";
        TEXT[ENXIO] = "No such device or address";
        TEXT[E2BIG] = "Argument list too long";
        TEXT[EBADF] = "Bad file descriptor";
        TEXT[EAGAIN] = "Resource temporarily unavailable";
        TEXT[ENOMEM] = "Cannot allocate memory";
        TEXT[EACCES] = "Permission denied";
        TEXT[EFAULT] = "Bad address";
        TEXT[EBUSY] = "Device or resource busy";
        TEXT[EEXIST] = "File exists";
        TEXT[EXDEV] = "Invalid cross-device link";
        TEXT[ENODEV] = "No such device";
        TEXT[ENOTDIR] = "Not a directory";
        TEXT[EISDIR] = "Is a directory";
        TEXT[EINVAL] = "Invalid argument";
        TEXT[EMFILE] = "Too many open files";
        TEXT[ETXTBSY] = "Text file busy";
        TEXT[ENOSPC] = "No space left on device";
        TEXT[EROFS] = "Read-only file system";
        TEXT[EMLINK] = "Too many links";
        TEXT[ENAMETOOLONG] = "File name too long";
        TEXT[ENOSYS] = "Function not implemented";
        TEXT[ENOTEMPTY] = "Directory not empty";
        TEXT[ELOOP] = "Too many levels of symbolic links";
        TEXT[EOVERFLOW] = "Value too large for defined data type";
        TEXT[EOPNOTSUPP] = "Operation not supported";
        TEXT[ENOTCONN] = "Transport endpoint is not connected";
        TEXT[ETIMEDOUT] = "Connection timed out";
    }

    private Errno() {}

    public static String describe(int errno) {
        String text = errno > 0 && errno < TEXT.length ? TEXT[errno] : null;
        return text != null ? text : "Unknown error " + errno;
    }
}
