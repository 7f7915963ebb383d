package org.phoenixcast.watch;

import java.util.List;
import org.phoenixcast.channel.GuestChannel;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.linux.RequestFile;
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
 * <p>Security: the requester is the container owning the drop directory, never the file's
 * name or content. Files are read through {@link org.phoenixcast.linux.DropDirectory}, which
 * never follows a symlink, never blocks on a FIFO and caps the bytes read.
 */
public final class DropIntake {
    private static final Logger log = LoggerFactory.getLogger(DropIntake.class);

    private final Database db;
    private final RequestQueue queue;
    private final HistoryStore history;
    private final int maxBytes;

    public DropIntake(Database db, RequestQueue queue, HistoryStore history, int maxBytes) {
        this.db = db;
        this.queue = queue;
        this.history = history;
        this.maxBytes = maxBytes;
    }

    /** Takes every complete request in the channel's drop directory; returns how many were queued. */
    public int scan(GuestChannel channel) {
        List<String> names;
        try {
            names = channel.drop().list();
        } catch (LinuxException e) {
            log.warn("container={} cannot list its drop directory: {}", channel.name(), e.getMessage());
            return 0;
        }
        int queued = 0;
        for (String name : names) {
            if (take(channel, name)) queued++;
        }
        return queued;
    }

    /**
     * Takes one entry; true when a request was queued. Synchronized: the watcher thread and the
     * worker's resync scan may meet on the same file, and it must be queued once.
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
        } catch (LinuxException e) {
            if (e.errno() != 2) log.warn("container={} cannot read {}: {}", container, Printable.quote(untrustedName), e.getMessage());
            return false;
        }
        boolean known = db.transaction(tx -> {
            if (queue.isKnown(tx.dsl(), container, untrustedName, file.inode(), file.ctimeNanos())) return true;
            // A stale reply of the same name goes before the commit: once the row commits the
            // worker may answer at once. (A known file's reply, if any, is the real one: kept.)
            try {
                channel.removeReply(name.replyName());
            } catch (LinuxException e) {
                log.warn("container={} cannot remove stale reply {}: {}", container, name.replyName(), e.getMessage());
            }
            queue.enqueue(tx.dsl(), container, untrustedName, file.inode(), file.ctimeNanos(), body);
            return false;
        });
        try {
            channel.drop().remove(untrustedName);
        } catch (LinuxException e) {
            log.warn("container={} cannot remove {}: {}", container, untrustedName, e.getMessage());
        }
        return !known;
    }

    private void refuse(GuestChannel channel, RequestName name, String untrustedName, String reason) {
        log.info("container={} refused request file {}: {}", channel.name(), Printable.quote(untrustedName), reason);
        try {
            if (name != null) channel.writeReply(name.replyName(), Reply.error(reason).render());
        } catch (LinuxException e) {
            log.warn("container={} cannot write reply: {}", channel.name(), e.getMessage());
        }
        db.transaction(tx -> {
            history.record(tx.dsl(), channel.name().value(), name == null ? "request" : name.word(),
                    Printable.quote(untrustedName), "refused", reason, null);
            return null;
        });
        try {
            channel.drop().remove(untrustedName);
        } catch (LinuxException e) {
            log.warn("container={} cannot remove refused file: {}", channel.name(), e.getMessage());
        }
    }
}
