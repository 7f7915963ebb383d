package org.phoenixcast.discovery;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * How castd finds the running containers of one container runtime and learns promptly that the
 * set changed. Each adapter runs on its own {@link DiscoveryLoop} thread, so blocking I/O (a CLI,
 * an HTTP socket, inotify) never holds up the worker.
 *
 * <p>Thread contract: {@link #list} and {@link #awaitChange} are called by the loop thread only;
 * {@link #close} may be called from any thread and must wake a blocked {@link #awaitChange}.
 */
public interface RuntimeAdapter extends AutoCloseable {

    /** The runtime's id, used in qualified names and castd.conf: "lxc", "docker", ... */
    String runtime();

    /**
     * The containers of this runtime whose init process runs now. A runtime that is not
     * installed or not reachable (no socket, no state directory yet) is not an error: it has no
     * containers. An IOException means the runtime answered, but not as expected.
     */
    List<DiscoveredContainer> list() throws IOException;

    /**
     * Blocks until the runtime may have started or stopped a container (an event from its event
     * stream, an inotify event on its state directory), until {@code timeout} passes, or until
     * {@link #close}. Spurious returns are fine: the loop lists again and compares. Must not
     * return at once over and over (no busy polling) when the event source is unavailable:
     * then it waits for it to appear, or for the timeout.
     */
    void awaitChange(Duration timeout) throws IOException, InterruptedException;

    /** Ends the event source (child processes, sockets, inotify); idempotent. */
    @Override
    void close();
}
