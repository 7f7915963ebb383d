package org.phoenixcast.discovery;

import java.time.Duration;

/**
 * How long to wait before a runtime's event source (an lxc-monitor child, a podman events
 * child, dockerd's /events stream) is opened again after it ended or could not be opened:
 * {@code first}, doubling up to {@code max} while it keeps dying young (a broken install costs
 * a start every {@code max}, not a storm), and back to {@code first} once a run lasted
 * {@code healthy}. Not thread-safe; its owner locks or uses it from one thread.
 */
public final class RestartBackoff {
    private final long firstMillis;
    private final long maxMillis;
    private final long healthyMillis;
    private long next;

    public RestartBackoff(Duration first, Duration max, Duration healthy) {
        if (first.isNegative() || first.isZero() || max.compareTo(first) < 0) {
            throw new IllegalArgumentException("backoff from " + first + " to " + max);
        }
        this.firstMillis = first.toMillis();
        this.maxMillis = max.toMillis();
        this.healthyMillis = healthy.toMillis();
        this.next = firstMillis;
    }

    /** The delay before the next start, given how long the run that just ended lasted (0: it never started). */
    public long delayAfter(long livedMillis) {
        if (healthy(livedMillis)) next = firstMillis;
        long delay = next;
        next = Math.min(maxMillis, next * 2);
        return delay;
    }

    /** True if a run that lasted this long was healthy: the next failure starts the backoff again. */
    public boolean healthy(long livedMillis) {
        return livedMillis >= healthyMillis;
    }
}
