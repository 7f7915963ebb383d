package org.phoenixcast.linux;

import java.nio.file.Path;
import java.util.List;

/**
 * An inotify instance. Thread contract: {@link #awaitEvents} is called by one thread only;
 * {@link #watch}, {@link #unwatch} and {@link #close} from any thread. close() wakes a blocked
 * awaitEvents, which then throws or returns an empty list.
 */
public interface Inotify extends AutoCloseable {

    /** Watches a host directory for IN_CLOSE_WRITE | IN_MOVED_TO (plus IN_Q_OVERFLOW); returns the wd. */
    int watch(Path hostDirectory) throws LinuxException;

    void unwatch(int watchDescriptor);

    /** Blocks until at least one event or timeout; returns events in order (empty on timeout). */
    List<Event> awaitEvents(long timeoutMillis) throws LinuxException;

    @Override
    void close();

    /** One event; {@code overflow} is true for IN_Q_OVERFLOW (then wd is -1 and name null). */
    record Event(int watchDescriptor, String name, boolean overflow) {}
}
