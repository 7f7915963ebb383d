package org.phoenixcast.queue;

import static org.phoenixcast.store.schema.Tables.REQUEST;

import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;
import org.phoenixcast.model.ContainerName;

/**
 * The request queue table. Contract: a request file is inserted (and committed) before it is
 * removed from the drop directory; a file found again after a crash is recognised by
 * (container, name, inode, ctime) and only removed. A request moves QUEUED → DECIDED (its state
 * changes committed in the same transaction) → REPLIED (reply file written), so a restart
 * neither loses nor re-applies it.
 */
public final class RequestQueue {
    public static final String QUEUED = "QUEUED";
    public static final String DECIDED = "DECIDED";
    public static final String REPLIED = "REPLIED";
    /** Column size of request.reply; a longer reply is cut with a note. */
    private static final int MAX_REPLY_CHARS = 65536;

    private final Clock clock;

    public RequestQueue(Clock clock) {
        this.clock = clock;
    }

    public boolean isKnown(DSLContext tx, ContainerName container, String fileName, long inode, long ctimeNanos) {
        return tx.fetchExists(REQUEST, REQUEST.CONTAINER.eq(container.value()).and(REQUEST.FILE_NAME.eq(fileName))
                .and(REQUEST.FILE_INODE.eq(inode)).and(REQUEST.FILE_CTIME_NS.eq(ctimeNanos)));
    }

    public long enqueue(DSLContext tx, ContainerName container, String fileName, long inode, long ctimeNanos, String body) {
        return tx.insertInto(REQUEST, REQUEST.CONTAINER, REQUEST.FILE_NAME, REQUEST.FILE_INODE, REQUEST.FILE_CTIME_NS,
                        REQUEST.BODY, REQUEST.STATE, REQUEST.RECEIVED_AT)
                .values(container.value(), fileName, inode, ctimeNanos, body, QUEUED, OffsetDateTime.now(clock))
                .returning(REQUEST.ID).fetchOne().getId();
    }

    /** Containers with queued requests, for round-robin service: one container's flood cannot starve another. */
    public List<ContainerName> containersWithQueued(DSLContext tx) {
        return tx.selectDistinct(REQUEST.CONTAINER).from(REQUEST).where(REQUEST.STATE.eq(QUEUED))
                .orderBy(REQUEST.CONTAINER).fetch(r -> ContainerName.parse(r.value1()));
    }

    public Optional<QueuedRequest> oldestQueued(DSLContext tx, ContainerName container) {
        return tx.selectFrom(REQUEST).where(REQUEST.STATE.eq(QUEUED).and(REQUEST.CONTAINER.eq(container.value())))
                .orderBy(REQUEST.ID).limit(1).fetchOptional(RequestQueue::toRequest);
    }

    public List<QueuedRequest> decidedNotReplied(DSLContext tx) {
        return tx.selectFrom(REQUEST).where(REQUEST.STATE.eq(DECIDED)).orderBy(REQUEST.ID).fetch(RequestQueue::toRequest);
    }

    public void markDecided(DSLContext tx, long id, String reply) {
        tx.update(REQUEST).set(REQUEST.STATE, DECIDED).set(REQUEST.REPLY, cut(reply))
                .where(REQUEST.ID.eq(id).and(REQUEST.STATE.eq(QUEUED))).execute();
    }

    public void markReplied(DSLContext tx, long id, String reply) {
        tx.update(REQUEST).set(REQUEST.STATE, REPLIED).set(REQUEST.REPLY, cut(reply))
                .set(REQUEST.FINISHED_AT, OffsetDateTime.now(clock)).where(REQUEST.ID.eq(id)).execute();
    }

    /**
     * Deletes at most {@code limit} REPLIED rows that were replied more than {@code keep} ago;
     * returns how many. Without this the table grows with every request ever made (a flood of
     * 100,000 files leaves ~45,000 rows). Safe because a row is only needed while its file may
     * still lie in the drop directory (the watcher removes it right after the row commits, and
     * retries at every rescan) or its reply is undelivered (never REPLIED); history keeps each
     * request's outcome.
     */
    public int pruneReplied(DSLContext tx, Duration keep, int limit) {
        OffsetDateTime cutoff = OffsetDateTime.now(clock).minus(keep);
        List<Long> ids = tx.select(REQUEST.ID).from(REQUEST)
                .where(REQUEST.STATE.eq(REPLIED).and(REQUEST.FINISHED_AT.lt(cutoff)))
                .orderBy(REQUEST.ID).limit(limit).fetch(REQUEST.ID);
        if (ids.isEmpty()) return 0;
        return tx.deleteFrom(REQUEST).where(REQUEST.ID.in(ids)).execute();
    }

    /** Requests of one container not yet replied (QUEUED or DECIDED): what the per-guest limit counts. */
    public int countPending(DSLContext tx, ContainerName container) {
        return tx.fetchCount(REQUEST, REQUEST.STATE.in(QUEUED, DECIDED).and(REQUEST.CONTAINER.eq(container.value())));
    }

    public int countQueued(DSLContext tx) {
        return tx.fetchCount(REQUEST, REQUEST.STATE.ne(REPLIED));
    }

    private static String cut(String reply) {
        return reply.length() <= MAX_REPLY_CHARS ? reply : reply.substring(0, MAX_REPLY_CHARS - 40) + "\n(reply cut)\n";
    }

    private static QueuedRequest toRequest(org.phoenixcast.store.schema.tables.records.RequestRecord r) {
        return new QueuedRequest(r.getId(), ContainerName.parse(r.getContainer()), r.getFileName(), r.getBody(),
                r.getState(), r.getReply());
    }
}
