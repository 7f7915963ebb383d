package org.phoenixcast.it.support;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A container of a {@link RuntimeFixture}, started and stopped with the runtime's own tools. */
public interface RuntimeContainer extends AutoCloseable {
    Duration EXEC_TIMEOUT = Duration.ofSeconds(30);

    /** The runtime's name for it (what castd names it when the name is free). */
    String name();

    /** Starts it with the runtime's tool; returns once its init runs. */
    void start() throws IOException;

    /** Stops it with the runtime's tool; returns once its init is gone. */
    void stop() throws IOException;

    /** The host PID of its init; fails when it is not running. */
    int pid();

    /** True when the container runs in its own user namespace. */
    boolean userNamespaced();

    /**
     * Where the container's root directory lies on the host (test setup writes files there, as
     * the container's owner would see them: mind the uid offset of user-namespaced ones).
     */
    Path hostRootfs();

    /** Runs {@code /bin/sh -c script} inside as the container's root (nsenter, see {@link Nsenter}). */
    default ExecResult sh(String script) {
        return Nsenter.exec(pid(), userNamespaced(), EXEC_TIMEOUT, null, List.of("/bin/sh", "-c", script));
    }

    /** Stops (if running) and deletes the container; never throws. */
    @Override
    void close();
}
