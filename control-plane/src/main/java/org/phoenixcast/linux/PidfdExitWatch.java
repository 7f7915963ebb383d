package org.phoenixcast.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells castd the moment a container's init exits: one thread polls a pidfd per tracked
 * process (a pidfd turns readable when its process exits) plus an eventfd that wakes it when
 * the set changes or on close. No polling interval: the thread sleeps until something happens.
 *
 * <p>The watch opens its own pidfd per process, so it never polls an fd number the registry
 * may close and the kernel reuse. {@link #track} opens it by PID and then asks the caller to
 * confirm the process it pinned is still alive: if it is, the PID cannot have been reused in
 * between, so the new pidfd refers to the same process.
 */
public final class PidfdExitWatch implements Runnable, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PidfdExitWatch.class);
    private static final short POLLIN = 1;
    private static final int EFD_CLOEXEC = 02000000;
    private static final int EFD_NONBLOCK = 04000;

    private final IntConsumer onExit;
    private final Fd wakeup;
    private final Object lock = new Object();
    private final Map<Integer, Fd> tracked = new HashMap<>();
    private volatile boolean closed;

    private PidfdExitWatch(IntConsumer onExit, Fd wakeup) {
        this.onExit = onExit;
        this.wakeup = wakeup;
    }

    /** {@code onExit} gets the PID of each tracked process that exited, on the watch's thread. */
    public static PidfdExitWatch create(IntConsumer onExit) throws LinuxException {
        int ev = Native.libc().eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (ev < 0) throw Native.failure("eventfd", null);
        return new PidfdExitWatch(onExit, new Fd(ev, "eventfd exit-watch"));
    }

    /**
     * Starts watching {@code pid}. {@code stillSame} must report whether the caller's own pinned
     * handle of that process is still alive; when it is not (or the PID is gone already),
     * {@code onExit} runs at once, on the caller's thread.
     */
    public void track(int pid, BooleanSupplier stillSame) {
        Fd pidfd = null;
        try {
            pidfd = MountApi.pidfdOpen(pid);
        } catch (LinuxException e) {
            // gone already
        }
        if (pidfd != null && !stillSame.getAsBoolean()) {
            pidfd.close();
            pidfd = null;
        }
        if (pidfd == null) {
            onExit.accept(pid);
            return;
        }
        synchronized (lock) {
            if (closed) {
                pidfd.close();
                return;
            }
            Fd old = tracked.put(pid, pidfd);
            if (old != null) old.close();
        }
        wake();
    }

    /** Stops watching {@code pid} (the container was stopped or forgotten). */
    public void untrack(int pid) {
        synchronized (lock) {
            Fd old = tracked.remove(pid);
            if (old != null) old.close();
        }
        wake();
    }

    @Override
    public void run() {
        while (!closed) {
            int[] pids;
            byte[] fds;
            synchronized (lock) {
                pids = new int[tracked.size()];
                fds = new byte[8 * (tracked.size() + 1)];
                ByteBuffer p = ByteBuffer.wrap(fds).order(ByteOrder.LITTLE_ENDIAN);
                p.putInt(0, wakeup.get()).putShort(4, POLLIN);
                int i = 0;
                for (var e : tracked.entrySet()) {
                    pids[i] = e.getKey();
                    p.putInt(8 * (i + 1), e.getValue().get()).putShort(8 * (i + 1) + 4, POLLIN);
                    i++;
                }
            }
            int rc = Native.libc().poll(fds, pids.length + 1L, -1);
            if (rc < 0 && Native.errno() != Errno.EINTR) {
                log.error("poll on pidfds failed: {}", Native.failure("poll", "pidfds").getMessage());
                return;
            }
            drainWakeup();
            ByteBuffer p = ByteBuffer.wrap(fds).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < pids.length; i++) {
                boolean gone = rc > 0 && (p.getShort(8 * (i + 1) + 6) & POLLIN) != 0;
                if (gone && forget(pids[i], p.getInt(8 * (i + 1)))) onExit.accept(pids[i]);
            }
        }
        synchronized (lock) {
            tracked.values().forEach(Fd::close);
            tracked.clear();
            wakeup.close();
        }
    }

    /** Removes {@code pid} if it is still tracked with that fd number; true if it was. */
    private boolean forget(int pid, int fd) {
        synchronized (lock) {
            Fd current = tracked.get(pid);
            if (current == null || current.get() != fd) return false;
            tracked.remove(pid);
            current.close();
            return true;
        }
    }

    private void wake() {
        byte[] one = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1).array();
        synchronized (lock) {
            if (wakeup.isOpen()) Native.libc().write(wakeup.get(), one, 8);
        }
    }

    private void drainWakeup() {
        byte[] buf = new byte[8];
        synchronized (lock) {
            if (wakeup.isOpen()) Native.libc().read(wakeup.get(), buf, 8);
        }
    }

    /** The PIDs watched now (tests). */
    public List<Integer> trackedPids() {
        synchronized (lock) {
            return List.copyOf(tracked.keySet());
        }
    }

    @Override
    public void close() {
        closed = true;
        wake();
    }
}
