package org.phoenixcast.watch;

import java.util.List;
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

    public DropIntake(Database db, RequestQueue queue, HistoryStore history, RefusalBursts bursts, int maxBytes,
                      int maxPending) {
        this.db = db;
        this.queue = queue;
        this.history = history;
        this.bursts = bursts;
        this.maxBytes = maxBytes;
        this.maxPending = maxPending;
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
        Taken taken = db.transaction(tx -> {
            if (queue.isKnown(tx.dsl(), container, untrustedName, file.inode(), file.ctimeNanos())) return Taken.KNOWN;
            if (queue.countPending(tx.dsl(), container) >= maxPending) {
                bursts.refused(tx.dsl(), container, untrustedName, tooManyPending(maxPending));
                return Taken.REFUSED;
            }
            // A stale reply of the same name goes before the commit: once the row commits the
            // worker may answer at once. (A known file's reply, if any, is the real one: kept.)
            try {
                channel.removeReply(name.replyName());
            } catch (LinuxException e) {
                log.warn("container={} cannot remove stale reply {}: {}", container, name.replyName(), e.getMessage());
            }
            queue.enqueue(tx.dsl(), container, untrustedName, file.inode(), file.ctimeNanos(), body);
            return Taken.QUEUED;
        });
        // After the history commit, before the removal: the guest's reply never lacks its record.
        if (taken == Taken.REFUSED) replyError(channel, name, tooManyPending(maxPending));
        removeEntry(channel, untrustedName);
        return taken == Taken.QUEUED;
    }

    private enum Taken { QUEUED, KNOWN, REFUSED }

    private void refuse(GuestChannel channel, RequestName name, String untrustedName, String reason) {
        log.info("container={} refused request file {}: {}", channel.name(), Printable.quote(untrustedName), reason);
        if (name != null) replyError(channel, name, reason);
        db.transaction(tx -> {
            history.record(tx.dsl(), channel.name().value(), name == null ? "request" : name.word(),
                    Printable.quote(untrustedName), "refused", reason, null);
            return null;
        });
        removeEntry(channel, untrustedName);
    }

    private static void replyError(GuestChannel channel, RequestName name, String reason) {
        try {
            channel.writeReply(name.replyName(), Reply.error(reason).render());
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
