package org.phoenixcast.linux;

/**
 * A read lease ({@code fcntl(F_SETLEASE, F_RDLCK)}) on an O_RDONLY file castd is about to read:
 * the kernel grants it only while no process has the file open for writing (EAGAIN otherwise),
 * and while castd holds it every open for writing and every truncate of the file waits until
 * castd releases it. So a request file read under the lease is one that no guest is writing,
 * and its bytes cannot change during the read: castd never acts on half a request, however it
 * found the file (an inotify event, a rescan, a restart).
 *
 * <p>Root holds CAP_LEASE, so the guest's ownership of the file does not matter. A guest that
 * opens the file for writing while castd holds the lease makes the kernel send SIGIO to castd
 * (the lease's owner): castd installs a no-op handler for SIGIO before the first lease, so that
 * signal can never end the daemon; a handled (not ignored) signal is reset to its default in
 * the child processes castd starts.
 */
public final class ReadLease implements AutoCloseable {
    private static final int F_SETLEASE = 1024;
    private static final int F_RDLCK = 0;
    private static final int F_UNLCK = 2;

    /** The system-wide switch for leases: with 0 every F_SETLEASE fails with EINVAL. */
    private static final java.nio.file.Path LEASES_ENABLE = java.nio.file.Path.of("/proc/sys/fs/leases-enable");

    private static boolean signalHandled;

    private final Fd file;

    private ReadLease(Fd file) {
        this.file = file;
    }

    /**
     * Installs the no-op SIGIO handler (once per process). Called before castd opens a drop
     * directory, so before its first lease and before any guest can make the kernel break one.
     */
    static synchronized void handleSignal() {
        if (signalHandled) return;
        // Marked only once installed: if this throws, the next call tries again (SIGIO's default
        // action would end castd, so no lease may be taken without the handler).
        sun.misc.Signal.handle(new sun.misc.Signal("IO"), signal -> { });
        signalHandled = true;
    }

    /**
     * Fails castd's start, with one line, on a host where leases are switched off: castd could
     * never tell a complete request file, so it would leave every one in place and serve none.
     */
    public static void requireLeasesEnabled() throws java.io.IOException {
        requireLeasesEnabled(LEASES_ENABLE);
    }

    static void requireLeasesEnabled(java.nio.file.Path leasesEnable) throws java.io.IOException {
        if (!java.nio.file.Files.isReadable(leasesEnable)) return; // no such switch: leases are on
        if (Sysctl.read(leasesEnable).equals("0")) {
            throw new IllegalStateException("file leases are disabled (fs.leases-enable = 0): castd reads guest request"
                    + " files under a read lease to never act on a half-written one; enable them with"
                    + " 'sysctl fs.leases-enable=1'");
        }
    }

    /**
     * Takes a read lease on {@code file} (opened O_RDONLY by castd).
     *
     * @throws RequestFileIncomplete when a process has the file open for writing
     * @throws LinuxException        when the file system or the kernel gives no leases (EINVAL:
     *                               e.g. fs.leases-enable = 0); castd then cannot tell a
     *                               complete file and leaves it in place
     */
    static ReadLease take(Fd file, String what) throws LinuxException, RequestFileIncomplete {
        handleSignal();
        if (Native.libc().fcntl(file.get(), F_SETLEASE, F_RDLCK) == 0) return new ReadLease(file);
        int errno = Native.errno();
        if (errno == Errno.EAGAIN || errno == Errno.EBUSY) {
            throw new RequestFileIncomplete("is still open for writing");
        }
        throw new LinuxException("fcntl(F_SETLEASE, F_RDLCK)", what, errno, Errno.describe(errno));
    }

    /** Releases the lease; a writer waiting for it goes on. Closing the fd would release it too. */
    @Override
    public void close() {
        if (file.isOpen()) Native.libc().fcntl(file.get(), F_SETLEASE, F_UNLCK);
    }
}
