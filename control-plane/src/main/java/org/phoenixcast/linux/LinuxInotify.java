package org.phoenixcast.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link Inotify} with inotify_init1(IN_CLOEXEC | IN_NONBLOCK) and poll(2). An eventfd wakes
 * a blocked {@link #awaitEvents} on close; the fds are closed by whichever of close() and the
 * waiting thread comes last, so a number is never closed while poll still uses it.
 */
public final class LinuxInotify implements Inotify {
    static final int IN_Q_OVERFLOW = 0x4000;
    static final int IN_IGNORED = 0x8000;
    static final int IN_ONLYDIR = 0x01000000;
    static final int IN_DONT_FOLLOW = 0x02000000;
    private static final int IN_CLOEXEC = 02000000;
    private static final int IN_NONBLOCK = 04000;
    private static final short POLLIN = 1;

    private final Fd inotify;
    private final Fd wakeup;
    private final Object lock = new Object();
    private boolean closed;
    private boolean waiting;

    private LinuxInotify(Fd inotify, Fd wakeup) {
        this.inotify = inotify;
        this.wakeup = wakeup;
    }

    public static LinuxInotify create() throws LinuxException {
        int fd = Native.libc().inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (fd < 0) throw Native.failure("inotify_init1", null);
        Fd inotify = new Fd(fd, "inotify");
        int ev = Native.libc().eventfd(0, IN_CLOEXEC | IN_NONBLOCK); // EFD_CLOEXEC/EFD_NONBLOCK share the values
        if (ev < 0) {
            LinuxException e = Native.failure("eventfd", null);
            inotify.close();
            throw e;
        }
        return new LinuxInotify(inotify, new Fd(ev, "eventfd"));
    }

    @Override
    public int watch(Path hostDirectory) throws LinuxException {
        return watch(hostDirectory, IN_CLOSE_WRITE | IN_MOVED_TO);
    }

    @Override
    public int watch(Path hostDirectory, int mask) throws LinuxException {
        synchronized (lock) {
            if (closed) throw new LinuxException("inotify_add_watch", hostDirectory.toString(), Errno.EBADF, "closed");
            int wd = Native.libc().inotify_add_watch(inotify.get(), Native.path(hostDirectory.toString()),
                    mask | IN_ONLYDIR | IN_DONT_FOLLOW);
            if (wd < 0) throw Native.failure("inotify_add_watch", hostDirectory.toString());
            return wd;
        }
    }

    @Override
    public void unwatch(int watchDescriptor) {
        synchronized (lock) {
            if (!closed) Native.libc().inotify_rm_watch(inotify.get(), watchDescriptor);
        }
    }

    @Override
    public List<Event> awaitEvents(long timeoutMillis) throws LinuxException {
        return awaitEvents(timeoutMillis, List.of());
    }

    /**
     * Like {@link #awaitEvents(long)}, but also returns (possibly with no event) as soon as one
     * of {@code pidfds} turns readable, that is when its process exited. The pidfds stay the
     * caller's: they are neither closed nor read here, and must stay open during the call.
     */
    public List<Event> awaitEvents(long timeoutMillis, List<Fd> pidfds) throws LinuxException {
        synchronized (lock) {
            if (closed) throw new LinuxException("poll", "inotify", Errno.EBADF, "closed");
            waiting = true;
        }
        try {
            int count = 2 + pidfds.size();
            byte[] fds = new byte[8 * count];
            ByteBuffer p = ByteBuffer.wrap(fds).order(ByteOrder.LITTLE_ENDIAN);
            p.putInt(0, inotify.get()).putShort(4, POLLIN).putInt(8, wakeup.get()).putShort(12, POLLIN);
            for (int i = 0; i < pidfds.size(); i++) p.putInt(16 + 8 * i, pidfds.get(i).get()).putShort(20 + 8 * i, POLLIN);
            int timeout = (int) Math.max(0, Math.min(Integer.MAX_VALUE, timeoutMillis));
            int rc = Native.libc().poll(fds, count, timeout);
            if (rc < 0) {
                if (Native.errno() == Errno.EINTR) return List.of();
                throw Native.failure("poll", "inotify");
            }
            if (rc == 0 || isClosed()) return List.of();
            if ((p.getShort(6) & POLLIN) == 0) return List.of(); // only a pidfd: its process exited
            return readEvents();
        } finally {
            synchronized (lock) {
                waiting = false;
                if (closed) closeFds();
            }
        }
    }

    private boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    private List<Event> readEvents() throws LinuxException {
        List<Event> events = new ArrayList<>();
        byte[] buf = new byte[64 * 1024];
        while (true) {
            long n = Native.libc().read(inotify.get(), buf, buf.length);
            if (n < 0) {
                int errno = Native.errno();
                if (errno == Errno.EAGAIN) return events;
                if (errno == Errno.EINTR) continue;
                throw Native.failure("read", "inotify");
            }
            parse(buf, (int) n, events);
            if (n == 0) return events;
        }
    }

    /** struct inotify_event { int wd; u32 mask; u32 cookie; u32 len; char name[len]; } */
    static void parse(byte[] buf, int length, List<Event> into) {
        ByteBuffer b = ByteBuffer.wrap(buf, 0, length).order(ByteOrder.LITTLE_ENDIAN);
        int pos = 0;
        while (pos + 16 <= length) {
            int wd = b.getInt(pos);
            int mask = b.getInt(pos + 4);
            int len = b.getInt(pos + 12);
            int end = pos + 16;
            while (end < pos + 16 + len && buf[end] != 0) end++;
            String name = len == 0 ? null : new String(buf, pos + 16, end - pos - 16, StandardCharsets.UTF_8);
            if ((mask & IN_Q_OVERFLOW) != 0) {
                into.add(new Event(-1, null, true));
            } else if ((mask & IN_IGNORED) == 0) {
                into.add(new Event(wd, name, false));
            }
            pos += 16 + len;
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) return;
            closed = true;
            if (waiting) {
                byte[] one = {1, 0, 0, 0, 0, 0, 0, 0};
                Native.libc().write(wakeup.get(), one, 8);
            } else {
                closeFds();
            }
        }
    }

    private void closeFds() {
        inotify.close();
        wakeup.close();
    }
}
