package org.phoenixcast.store;

import static org.phoenixcast.store.schema.Tables.HISTORY;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;

/** The history table: every request outcome, mount, unmount and refusal. Append-only but for aggregate rows. */
public final class HistoryStore {
    /** Column limits of the history table; longer text is cut, never rejected. */
    private static final int MAX_ARGUMENTS = 8192;
    private static final int MAX_REASON = 4096;

    private final Clock clock;

    public HistoryStore(Clock clock) {
        this.clock = clock;
    }

    public record Entry(long id, OffsetDateTime at, String container, String verb, String arguments, String outcome,
                        String reason, Long requestId) {}

    /** Appends a row; returns its id. */
    public long record(DSLContext tx, String container, String verb, String arguments, String outcome, String reason,
                       Long requestId) {
        return tx.insertInto(HISTORY, HISTORY.AT, HISTORY.CONTAINER, HISTORY.VERB, HISTORY.ARGUMENTS, HISTORY.OUTCOME,
                        HISTORY.REASON, HISTORY.REQUEST_ID)
                .values(OffsetDateTime.now(clock), container, cut(verb, 32), cut(arguments, MAX_ARGUMENTS), outcome,
                        cut(reason, MAX_REASON), requestId)
                .returning(HISTORY.ID).fetchOne().getId();
    }

    /**
     * Rewrites the arguments of a row this process recorded: the one exception to append-only,
     * for an aggregate row (a burst of refused request files) whose count grows while it lasts.
     */
    public void updateArguments(DSLContext tx, long id, String arguments) {
        tx.update(HISTORY).set(HISTORY.ARGUMENTS, cut(arguments, MAX_ARGUMENTS)).where(HISTORY.ID.eq(id)).execute();
    }

    /** The newest {@code limit} entries, oldest first, optionally for one container. */
    public List<Entry> latest(DSLContext tx, Optional<String> container, int limit) {
        var query = tx.selectFrom(HISTORY).where(container.map(HISTORY.CONTAINER::eq).orElse(HISTORY.ID.isNotNull()))
                .orderBy(HISTORY.ID.desc()).limit(limit);
        List<Entry> entries = new java.util.ArrayList<>(query.fetch(r -> new Entry(r.getId(), r.getAt(), r.getContainer(),
                r.getVerb(), r.getArguments(), r.getOutcome(), r.getReason(), r.getRequestId())));
        java.util.Collections.reverse(entries);
        return entries;
    }

    private static String cut(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max);
    }
}
