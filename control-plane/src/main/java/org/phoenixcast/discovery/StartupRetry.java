package org.phoenixcast.discovery;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * When to list again while containers are starting. Some runtimes mark a container in their
 * host state before its init runs (nspawn's propagate directory, OpenVZ's init.pid file) and
 * change nothing on the host when it does; the event that announced the container is then
 * followed by listings after 10, 20, 40, ... ms (at most {@code maxMillis} apart), for at most
 * {@code window} per container. A container that never starts (a stale entry left by a killed
 * runtime) costs a bounded number of listings once, not polling forever.
 *
 * <p>Thread contract: the discovery loop thread only.
 */
public final class StartupRetry {
    private final long windowNanos;
    private final long firstMillis;
    private final long maxMillis;
    private final LongSupplier clock;
    private final Map<String, Long> startingSince = new HashMap<>();
    private int step;

    public StartupRetry(Duration window, long firstMillis, long maxMillis) {
        this(window, firstMillis, maxMillis, System::nanoTime);
    }

    StartupRetry(Duration window, long firstMillis, long maxMillis, LongSupplier nanoClock) {
        this.windowNanos = window.toNanos();
        this.firstMillis = firstMillis;
        this.maxMillis = maxMillis;
        this.clock = nanoClock;
    }

    /** The containers the last listing saw in the runtime's state but not running yet. */
    public void starting(Set<String> names) {
        startingSince.keySet().retainAll(names);
        long now = clock.getAsLong();
        for (String n : names) startingSince.putIfAbsent(n, now);
    }

    /**
     * How long to wait before listing again for a starting container, or -1 when none is
     * starting (within its window). Each call backs off further.
     */
    public long nextWaitMillis() {
        long now = clock.getAsLong();
        boolean active = startingSince.values().stream().anyMatch(since -> now - since < windowNanos);
        if (!active) {
            step = 0;
            return -1;
        }
        long wait = Math.min(maxMillis, firstMillis << Math.min(step, 20));
        step++;
        return wait;
    }

    /** A new event from the runtime: back off from the shortest wait again. */
    public void eventSeen() {
        step = 0;
    }
}
