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
final class ReadLease implements AutoCloseable {
    private static final int F_SETLEASE = 1024;
    private static final int F_RDLCK = 0;
    private static final int F_UNLCK = 2;

    private static final java.util.concurrent.atomic.AtomicBoolean SIGNAL_HANDLED = new java.util.concurrent.atomic.AtomicBoolean();

    private final Fd file;

    private ReadLease(Fd file) {
        this.file = file;
    }

    /**
     * Installs the no-op SIGIO handler (once per process). Called before castd opens a drop
     * directory, so before its first lease and before any guest can make the kernel break one.
     */
    static void handleSignal() {
        if (SIGNAL_HANDLED.compareAndSet(false, true)) sun.misc.Signal.handle(new sun.misc.Signal("IO"), signal -> { });
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
