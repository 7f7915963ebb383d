package org.phoenixcast.linux;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * An owned file descriptor (always opened O_CLOEXEC). close() is idempotent and thread-safe;
 * {@link #get()} after close throws, so a closed number is never reused by mistake.
 */
public final class Fd implements AutoCloseable {
    private static final int F_DUPFD_CLOEXEC = 1030;
    private final AtomicInteger fd;
    private final String description;

    Fd(int fd, String description) {
        if (fd < 0) throw new IllegalArgumentException("negative fd");
        this.fd = new AtomicInteger(fd);
        this.description = description;
    }

    public int get() {
        int value = fd.get();
        if (value < 0) throw new IllegalStateException("fd of " + description + " is closed");
        return value;
    }

    /**
     * A second descriptor of the same open file (F_DUPFD_CLOEXEC), owned by the caller: for
     * handing a shared fd to a user that must not be hurt when the owner closes the original.
     */
    public Fd dup() throws LinuxException {
        int copy = Native.libc().fcntl(get(), F_DUPFD_CLOEXEC, 0);
        if (copy < 0) throw Native.failure("fcntl", description);
        return new Fd(copy, description);
    }

    public boolean isOpen() {
        return fd.get() >= 0;
    }

    /** What this fd refers to, for messages (e.g. "/proc/123" or "tree of /srv/a"). */
    public String description() {
        return description;
    }

    @Override
    public void close() {
        int value = fd.getAndSet(-1);
        if (value >= 0) Native.libc().close(value);
    }

    @Override
    public String toString() {
        return "Fd[" + fd.get() + " " + description + "]";
    }
}
