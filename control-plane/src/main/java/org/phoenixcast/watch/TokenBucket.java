package org.phoenixcast.watch;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * A token bucket: at most {@code perSecond} takes per second on average, bursts of up to
 * {@code capacity}. Starts full. Time comes from the injected clock (tests advance it by hand).
 * Not thread-safe: each bucket belongs to the watcher thread.
 */
public final class TokenBucket {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final Clock clock;
    private final long perSecond;
    private final long capacityNanos;
    /** Tokens held, in nanoseconds of refill time (one token = 1 s / perSecond): exact integer arithmetic. */
    private long heldNanos;
    private Instant last;

    public TokenBucket(Clock clock, long perSecond, long capacity) {
        if (perSecond <= 0 || capacity <= 0) throw new IllegalArgumentException("rate and capacity must be positive");
        this.clock = clock;
        this.perSecond = perSecond;
        this.capacityNanos = Math.multiplyExact(capacity, NANOS_PER_SECOND);
        this.heldNanos = capacityNanos;
        this.last = clock.instant();
    }

    /** Takes one token when there is one; false (and nothing taken) otherwise. */
    public boolean tryTake() {
        refill();
        long cost = NANOS_PER_SECOND;
        if (heldNanos < cost) return false;
        heldNanos -= cost;
        return true;
    }

    /** How long until {@link #tryTake} can succeed; zero when it can now. */
    public Duration untilNextToken() {
        refill();
        long missing = NANOS_PER_SECOND - heldNanos;
        if (missing <= 0) return Duration.ZERO;
        return Duration.ofNanos((missing + perSecond - 1) / perSecond);
    }

    private void refill() {
        Instant now = clock.instant();
        long elapsed = Duration.between(last, now).toNanos();
        last = now;
        if (elapsed <= 0) return; // a clock stepping back refills nothing, and time counts from there
        // elapsed * perSecond nanos of token time; saturate instead of overflowing after a long idle time.
        long gained = elapsed > capacityNanos / perSecond ? capacityNanos : elapsed * perSecond;
        heldNanos = Math.min(capacityNanos, heldNanos + gained);
    }
}
