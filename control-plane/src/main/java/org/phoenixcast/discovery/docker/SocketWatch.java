package org.phoenixcast.discovery.docker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.phoenixcast.linux.Inotify;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.linux.LinuxInotify;

/**
 * Waits, without polling, for dockerd's socket to be created: inotify on the socket's directory
 * (IN_CREATE | IN_MOVED_TO, the socket's own name only). dockerd unlinks and re-creates the
 * socket at every start, so this also notices a daemon coming back behind a stale socket.
 * When the directory is missing or inotify is unavailable it simply waits out the interval.
 *
 * <p>The directory is the admin's configured path (host side); no guest can create files there
 * unless the host gave it that directory, and even then an event only makes castd connect.
 */
final class SocketWatch {
    /** What counts as "the socket is there". */
    enum Wait {
        /** No socket yet: return as soon as it exists. */
        FOR_SOCKET,
        /** A socket exists but refuses connections: return only when a new one is created. */
        FOR_NEW_SOCKET
    }

    private final Path socket;
    private final Object lock = new Object();
    private volatile Wait mode = Wait.FOR_SOCKET;
    private Inotify current;
    private boolean woken;

    SocketWatch(Path socket) {
        this.socket = socket;
    }

    void expect(Wait wait) {
        mode = wait;
    }

    /** Blocks at most {@code millis}; returns early when the socket appears or on {@link #wake}. */
    void await(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        Path dir;
        try {
            dir = socket.toAbsolutePath().getParent().toRealPath();
        } catch (IOException | RuntimeException e) {
            sleepUntil(deadline);
            return;
        }
        Inotify inotify;
        try {
            inotify = LinuxInotify.create();
        } catch (LinuxException | RuntimeException e) {
            sleepUntil(deadline);
            return;
        }
        synchronized (lock) {
            if (woken) {
                inotify.close();
                return;
            }
            current = inotify;
        }
        try {
            inotify.watch(dir, Inotify.IN_CREATE | Inotify.IN_MOVED_TO);
            if (mode == Wait.FOR_SOCKET && Files.exists(socket)) return; // created before the watch
            String name = socket.getFileName().toString();
            while (!isWoken()) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) return;
                List<Inotify.Event> events = inotify.awaitEvents(left);
                for (Inotify.Event e : events) {
                    if (e.overflow() || name.equals(e.name())) return;
                }
            }
        } catch (LinuxException e) {
            if (!isWoken()) sleepUntil(deadline);
        } finally {
            synchronized (lock) {
                current = null;
            }
            inotify.close();
        }
    }

    /** Ends a blocked {@link #await} for good (the adapter is closing). Any thread. */
    void wake() {
        Inotify i;
        synchronized (lock) {
            woken = true;
            i = current;
        }
        if (i != null) i.close();
    }

    private boolean isWoken() {
        synchronized (lock) {
            return woken;
        }
    }

    private static void sleepUntil(long deadline) throws InterruptedException {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left > 0) Thread.sleep(left);
    }
}
