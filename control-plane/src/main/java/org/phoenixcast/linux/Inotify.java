package org.phoenixcast.linux;

import java.nio.file.Path;
import java.util.List;

/**
 * An inotify instance. Thread contract: {@link #awaitEvents} is called by one thread only;
 * {@link #watch}, {@link #unwatch} and {@link #close} from any thread. close() wakes a blocked
 * awaitEvents, which then throws or returns an empty list.
 */
public interface Inotify extends AutoCloseable {
    /** Event masks for {@link #watch(Path, int)} (inotify(7)). */
    int IN_ATTRIB = 0x4;
    int IN_CLOSE_WRITE = 0x8;
    int IN_MOVED_FROM = 0x40;
    int IN_MOVED_TO = 0x80;
    int IN_CREATE = 0x100;
    int IN_DELETE = 0x200;
    int IN_DELETE_SELF = 0x400;

    /** Watches a host directory for IN_CLOSE_WRITE | IN_MOVED_TO (plus IN_Q_OVERFLOW); returns the wd. */
    int watch(Path hostDirectory) throws LinuxException;

    /**
     * Watches a host directory (never a guest path: IN_ONLYDIR | IN_DONT_FOLLOW are always
     * added) for the given event mask; returns the wd.
     */
    default int watch(Path hostDirectory, int mask) throws LinuxException {
        throw new UnsupportedOperationException("watch with a mask");
    }

    void unwatch(int watchDescriptor);

    /** Blocks until at least one event or timeout; returns events in order (empty on timeout). */
    List<Event> awaitEvents(long timeoutMillis) throws LinuxException;

    @Override
    void close();

    /** One event; {@code overflow} is true for IN_Q_OVERFLOW (then wd is -1 and name null). */
    record Event(int watchDescriptor, String name, boolean overflow) {}
}
