package org.phoenixcast.watch;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jooq.DSLContext;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.Printable;
import org.phoenixcast.store.HistoryStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records request files refused because their guest has too many pending requests: ONE history
 * row (verb "request", outcome "refused") per burst, whose arguments carry the running count
 * and the first and last file name. A burst ends after {@link #GAP} without such a refusal, so
 * a flood of any length adds one row per quiet gap, never one per file. One log line at the
 * start of a burst.
 *
 * <p>Memory: one small record per guest in a burst; {@link #forget} drops it when the guest stops.
 */
public final class RefusalBursts {
    /** Refusals closer together than this belong to the same burst (and the same history row). */
    static final Duration GAP = Duration.ofSeconds(5);
    private static final Logger log = LoggerFactory.getLogger(RefusalBursts.class);

    private final Clock clock;
    private final HistoryStore history;
    private final Map<ContainerName, Burst> bursts = new ConcurrentHashMap<>();

    public RefusalBursts(Clock clock, HistoryStore history) {
        this.clock = clock;
        this.history = history;
    }

    /** Counts one refused file of {@code container} in {@code tx}: a new row, or the burst's row updated. */
    public void refused(DSLContext tx, ContainerName container, String untrustedName, String reason) {
        Instant now = clock.instant();
        Burst b = bursts.get(container);
        if (b == null || Duration.between(b.last, now).compareTo(GAP) >= 0) {
            String first = Printable.quote(untrustedName);
            long id = history.record(tx, container.value(), "request", describe(1, first, first), "refused", reason, null);
            bursts.put(container, new Burst(id, 1, first, first, now));
            log.info("container={} request files refused: {} (one history row per burst, id {})", container, reason, id);
            return;
        }
        Burst next = new Burst(b.rowId, b.count + 1, b.first, Printable.quote(untrustedName), now);
        bursts.put(container, next);
        history.updateArguments(tx, b.rowId, describe(next.count, next.first, next.lastName));
    }

    /** The guest stopped: drop its burst state. */
    public void forget(ContainerName container) {
        bursts.remove(container);
    }

    /** Guests with burst state (tests: the memory bound). */
    int tracked() {
        return bursts.size();
    }

    static String describe(long count, String first, String last) {
        return count == 1 ? "1 request file: " + first
                : count + " request files in one burst: first " + first + ", last " + last;
    }

    private record Burst(long rowId, long count, String first, String lastName, Instant last) {}
}
