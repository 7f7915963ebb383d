package org.phoenixcast.discovery.openvz;

import java.time.Duration;
import java.util.List;
import org.phoenixcast.config.RuntimeConfig;
import org.phoenixcast.discovery.DiscoveredContainer;
import org.phoenixcast.discovery.RuntimeAdapter;

/** PLACEHOLDER: finds no containers yet (to be replaced by the real adapter). */
public final class OpenVzAdapter implements RuntimeAdapter {
    private final Object closed = new Object();
    private volatile boolean isClosed;

    public OpenVzAdapter(RuntimeConfig config) {}

    @Override
    public String runtime() {
        return "openvz";
    }

    @Override
    public List<DiscoveredContainer> list() {
        return List.of();
    }

    @Override
    public void awaitChange(Duration timeout) throws InterruptedException {
        synchronized (closed) {
            if (!isClosed) closed.wait(Math.max(1, timeout.toMillis()));
        }
    }

    @Override
    public void close() {
        synchronized (closed) {
            isClosed = true;
            closed.notifyAll();
        }
    }
}
