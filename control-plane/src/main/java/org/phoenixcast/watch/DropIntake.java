package org.phoenixcast.watch;

import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;
import org.phoenixcast.channel.GuestChannel;
import org.phoenixcast.linux.Errno;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.linux.RequestFile;
import org.phoenixcast.linux.RequestFileIncomplete;
import org.phoenixcast.linux.RequestFileRefused;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.Printable;
import org.phoenixcast.protocol.Reply;
import org.phoenixcast.protocol.RequestBody;
import org.phoenixcast.protocol.RequestName;
import org.phoenixcast.queue.RequestQueue;
import org.phoenixcast.store.Database;
import org.phoenixcast.store.HistoryStore;
import org.phoenixcast.store.StateDisk;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves complete request files from a guest's drop directory into the queue table.
 *
 * <p>Contract (nothing lost, nothing doubled): the queue row is committed before the file is
 * removed; a file still present after a crash is recognised by name, inode and ctime and only
 * removed. A file refused here (wrong type, too big, bad name or encoding) gets its error reply
 * and history row before it is removed.
 *
 * <p>Limit: a guest with {@code maxPending} requests not yet replied gets every further file
 * refused with {@link #tooManyPending} as its reply, counted in one history row per burst
 * ({@link RefusalBursts}); the guest retries later. How fast files are taken at all is the
 * {@link IntakeScheduler}'s business.
 *
 * <p>Security: the requester is the container owning the drop directory, never the file's
 * name or content. Files are read through {@link org.phoenixcast.linux.DropDirectory}, which
 * never follows a symlink, never blocks on a FIFO and caps the bytes read.
 */
public final class DropIntake {
    private static final Logger log = LoggerFactory.getLogger(DropIntake.class);

    private final Database db;
    private final RequestQueue queue;
    private final HistoryStore history;
    private final RefusalBursts bursts;
    private final int maxBytes;
    private final int maxPending;
    private final StateDisk disk;
    private final ReadOnlyAnswers readOnly;

    /**
     * Answers a request that needs no database write (showcast) straight from the database,
     * without queueing it: how guests are still served while the state disk is full.
     */
    @FunctionalInterface
    public interface ReadOnlyAnswers {
        /** The rendered reply, or empty when the request would write (or cannot be answered so). */
        Optional<String> answer(ContainerName requester, String verbWord, String untrustedBody);
    }

    public DropIntake(Database db, RequestQueue queue, HistoryStore history, RefusalBursts bursts, int maxBytes,
                      int maxPending, StateDisk disk, ReadOnlyAnswers readOnly) {
        this.db = db;
        this.queue = queue;
        this.history = history;
        this.bursts = bursts;
        this.maxBytes = maxBytes;
        this.maxPending = maxPending;
        this.disk = disk;
        this.readOnly = readOnly;
    }

    /** The reply (and history reason) of a file refused because its guest has too many pending requests. */
    public static String tooManyPending(int max) {
        return "too many pending requests (max " + max + "); try again later";
    }

    /** Entry names of the channel's drop directory; empty (logged) when it cannot be listed. */
    public List<String> list(GuestChannel channel) {
        try {
            return channel.drop().list();
        } catch (LinuxException e) {
            log.warn("container={} cannot list its drop directory: {}", channel.name(), e.getMessage());
            return List.of();
        }
    }

    /** The guest stopped: forget its refusal burst. */
    public void forget(ContainerName container) {
        bursts.forget(container);
    }

    /**
     * Takes one entry; true when a request was queued. Called by the watcher thread (through the
     * {@link IntakeScheduler}); synchronized so that a second caller could never queue a file twice.
     */
    public synchronized boolean take(GuestChannel channel, String untrustedName) {
        if (RequestName.isTemporary(untrustedName)) return false;
        ContainerName container = channel.name();
        RequestName name;
        try {
            name = RequestName.parse(untrustedName);
        } catch (IllegalArgumentException e) {
            refuse(channel, null, untrustedName, e.getMessage());
            return false;
        }
        RequestFile file;
        String body;
        try {
            file = channel.drop().read(untrustedName, maxBytes);
            body = RequestBody.decode(file.content());
        } catch (RequestFileRefused | IllegalArgumentException e) {
            refuse(channel, name, untrustedName, e.getMessage());
            return false;
        } catch (RequestFileIncomplete e) {
            // Still being written: its writer's close (IN_CLOSE_WRITE) or the next rescan brings it back.
            log.debug("container={} request file {} {}; later", container, Printable.quote(untrustedName), e.getMessage());
            return false;
        } catch (LinuxException e) {
            if (e.errno() != Errno.ENOENT) log.warn("container={} cannot read {}: {}", container, Printable.quote(untrustedName), e.getMessage());
            return false;
        }
        if (disk.isFull()) {
            // A file queued before a crash (committed, not yet removed) is castd's already: only
            // remove it. Refusing it would answer a request the worker carries out later. (If the
            // database cannot even be read, H2 closed itself: refused as below.)
            if (knownWithoutWriting(container, untrustedName, file).orElse(false)) {
                removeEntry(channel, untrustedName);
                return false;
            }
            answerWhileFull(channel, name, untrustedName, body);
            return false;
        }
        recordRefusalsWhileFull();
        Taken taken;
        try {
            taken = db.transaction(tx -> queueUnlessKnown(tx.dsl(), channel, name, untrustedName, file, body));
        } catch (RuntimeException e) {
            // H2 found no space after all (the disk filled faster than the check): refused like
            // above. Assumed: a commit that failed is not in the store H2 reopens (not proven for
            // every point of failure; SECURITY.md lists it as a residual risk).
            if (!StateDisk.causedByFullDisk(e)) throw e;
            disk.failedForLackOfSpace(e);
            answerWhileFull(channel, name, untrustedName, body);
            return false;
        }
        // After the history commit, before the removal: the guest's reply never lacks its record.
        if (taken == Taken.REFUSED) replyError(channel, name, tooManyPending(maxPending));
        removeEntry(channel, untrustedName);
        return taken == Taken.QUEUED;
    }

    private enum Taken { QUEUED, KNOWN, REFUSED }

    /** In the intake's transaction: queues the file unless it is queued already or its guest has too many pending. */
    private Taken queueUnlessKnown(DSLContext tx, GuestChannel channel, RequestName name, String untrustedName,
                                   RequestFile file, String body) {
        ContainerName container = channel.name();
        if (queue.isKnown(tx, container, untrustedName, file.inode(), file.ctimeNanos())) return Taken.KNOWN;
        if (queue.countPending(tx, container) >= maxPending) {
            bursts.refused(tx, container, untrustedName, tooManyPending(maxPending));
            return Taken.REFUSED;
        }
        // A stale reply of the same name goes before the commit: once the row commits the
        // worker may answer at once. (A known file's reply, if any, is the real one: kept.)
        try {
            channel.removeReply(name.replyName());
        } catch (LinuxException e) {
            log.warn("container={} cannot remove stale reply {}: {}", container, name.replyName(), e.getMessage());
        }
        queue.enqueue(tx, container, untrustedName, file.inode(), file.ctimeNanos(), body);
        return Taken.QUEUED;
    }

    /** Whether this file is queued already, read without writing; empty when the database cannot be read. */
    private Optional<Boolean> knownWithoutWriting(ContainerName container, String untrustedName, RequestFile file) {
        try {
            return Optional.of(db.transaction(tx -> queue.isKnown(tx.dsl(), container, untrustedName, file.inode(),
                    file.ctimeNanos())));
        } catch (RuntimeException e) {
            log.debug("container={} cannot tell whether {} is queued while the state disk is full: {}", container,
                    Printable.quote(untrustedName), e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * The state disk is full: answer what needs no write, refuse the rest with the reason (its
     * history row is written once there is space, {@link StateDisk#recordRefusals}), and
     * remove the file either way: the guest has its answer and retries later.
     */
    private void answerWhileFull(GuestChannel channel, RequestName name, String untrustedName, String body) {
        Optional<String> answer;
        try {
            answer = readOnly.answer(channel.name(), name.word(), body);
        } catch (RuntimeException e) {
            answer = Optional.empty(); // the database cannot even be read (H2 closed itself): refuse
        }
        if (answer.isPresent()) {
            writeReply(channel, name, answer.get());
        } else {
            disk.refused(channel.name(), untrustedName);
            replyError(channel, name, StateDisk.REASON);
        }
        removeEntry(channel, untrustedName);
    }

    /** Space is back: the history rows of the refusals made while it was not. */
    private void recordRefusalsWhileFull() {
        if (!disk.hasUnrecordedRefusals()) return;
        try {
            disk.recorded(db.transaction(tx -> disk.recordRefusals(tx.dsl(), history)));
        } catch (RuntimeException e) {
            log.warn("cannot record the refusals made while the state disk was full yet: {}", e.getMessage());
        }
    }

    private void refuse(GuestChannel channel, RequestName name, String untrustedName, String reason) {
        log.info("container={} refused request file {}: {}", channel.name(), Printable.quote(untrustedName), reason);
        if (name != null) replyError(channel, name, reason);
        if (disk.isFull()) {
            removeEntry(channel, untrustedName); // no history row without space: the log line above is its record
            return;
        }
        try {
            db.transaction(tx -> {
                history.record(tx.dsl(), channel.name().value(), name == null ? "request" : name.word(),
                        Printable.quote(untrustedName), "refused", reason, null);
                return null;
            });
        } catch (RuntimeException e) {
            if (!StateDisk.causedByFullDisk(e)) throw e;
            disk.failedForLackOfSpace(e); // the reply went out; the log line above is its record
        }
        removeEntry(channel, untrustedName);
    }

    private static void replyError(GuestChannel channel, RequestName name, String reason) {
        writeReply(channel, name, Reply.error(reason).render());
    }

    private static void writeReply(GuestChannel channel, RequestName name, String reply) {
        try {
            channel.writeReply(name.replyName(), reply);
        } catch (LinuxException e) {
            log.warn("container={} cannot write reply {}: {}", channel.name(), name.replyName(), e.getMessage());
        }
    }

    private static void removeEntry(GuestChannel channel, String untrustedName) {
        try {
            channel.drop().remove(untrustedName);
        } catch (LinuxException e) {
            log.warn("container={} cannot remove {}: {}", channel.name(), Printable.quote(untrustedName), e.getMessage());
        }
    }
}
