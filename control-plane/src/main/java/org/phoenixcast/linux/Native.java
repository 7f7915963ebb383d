package org.phoenixcast.linux;

import java.nio.charset.StandardCharsets;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.Runtime;

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
}
