package org.phoenixcast.discovery.lxc;

/**
 * How long to wait before starting a child process again after it ended: 100 ms (a killed
 * lxc-monitord is replaced at once, so few events are missed), doubling up to 30 s while it
 * keeps dying young (a broken install costs two starts a minute, not a storm), and back to
 * 100 ms once a run lasted a minute. Not thread-safe; its owner locks.
 */
final class RestartBackoff {
    static final long FIRST_MILLIS = 100;
    static final long MAX_MILLIS = 30_000;
    static final long HEALTHY_MILLIS = 60_000;

    private long next = FIRST_MILLIS;

    /** The delay before the next start, given how long the run that just ended lasted. */
    long delayAfter(long livedMillis) {
        if (livedMillis >= HEALTHY_MILLIS) next = FIRST_MILLIS;
        long delay = next;
        next = Math.min(MAX_MILLIS, next * 2);
        return delay;
    }
}
