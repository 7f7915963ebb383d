package org.phoenixcast.watch;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.protocol.RequestName;

/**
 * Decides which drop-directory entries the watcher takes next, fairly across guests.
 *
 * <p>Contract: a guest is "dirty" when an event, a rescan or a new watch says its drop directory
 * may hold requests. Each {@link #round} visits every dirty guest once and takes at most
 * {@code batch} entries from it, each paid with a token of that guest's {@link TokenBucket}.
 * So another guest's file waits behind at most {@code batch} takes per flooding guest, and no
 * guest can make castd take more than its rate. Entries not taken stay in the drop directory
 * (the guest's own bounded tmpfs): nothing is lost, the guest is only delayed.
 *
 * <p>Memory: per watched guest one bucket and one pending listing, which is bounded by the drop
 * directory's inode limit; nothing is kept per file beyond that listing.
 *
 * <p>Threads: {@link #add}, {@link #remove} and the mark methods from any thread; {@link #round}
 * from the watcher thread only.
 */
public final class IntakeScheduler {
    /** Reads a guest's drop directory and takes one entry from it. Called on the watcher thread. */
    public interface Source {
        /** Entry names; empty when the directory is gone or unreadable. */
        List<String> list(ContainerName guest);

        /** Takes one entry (queues it, refuses it, or finds it gone); true when a request was queued. */
        boolean take(ContainerName guest, String name);
    }

    /** What a round did and when the next one is worth running. */
    public record Round(int taken, int queued, Optional<Duration> nextIn) {}

    private final Clock clock;
    private final Source source;
    private final int batch;
    private final long perSecond;
    private final long burst;
    private final Map<ContainerName, Guest> guests = new ConcurrentHashMap<>();

    public IntakeScheduler(Clock clock, Source source, int batch, long perSecond, long burst) {
        if (batch <= 0) throw new IllegalArgumentException("batch must be positive");
        this.clock = clock;
        this.source = source;
        this.batch = batch;
        this.perSecond = perSecond;
        this.burst = burst;
    }

    /** Starts following a guest (dirty at once: its directory may hold files from before). */
    public void add(ContainerName name) {
        guests.put(name, new Guest(new TokenBucket(clock, perSecond, burst)));
    }

    public void remove(ContainerName name) {
        guests.remove(name);
    }

    public void markDirty(ContainerName name) {
        Guest g = guests.get(name);
        if (g != null) g.dirty.set(true);
    }

    /** A rescan of every guest (inotify overflow, periodic resync). */
    public void markAllDirty() {
        for (Guest g : guests.values()) g.dirty.set(true);
    }

    /** Number of guests followed (tests, and the memory bound's proof). */
    public int guests() {
        return guests.size();
    }

    /** Entries listed but not yet taken, over all guests (bounded by the drop directories' inode limits). */
    public int pendingEntries() {
        int n = 0;
        for (Guest g : guests.values()) n += g.pending.size();
        return n;
    }

    /**
     * One fair pass: at most {@code batch} takes per dirty guest. {@code nextIn} is empty when no
     * guest is dirty, zero when work remains now, else when the earliest blocked guest gets a token.
     */
    public Round round() {
        int taken = 0;
        int queued = 0;
        Duration next = null;
        for (var e : guests.entrySet()) {
            Guest g = e.getValue();
            if (!g.dirty.get()) continue;
            if (g.pending.isEmpty()) {
                g.dirty.set(false); // cleared before listing: an event arriving meanwhile sets it again
                for (String n : source.list(e.getKey())) if (!RequestName.isTemporary(n)) g.pending.add(n);
                if (g.pending.isEmpty()) continue;
                g.dirty.set(true);
            }
            int n = 0;
            while (n < batch && !g.pending.isEmpty() && g.bucket.tryTake()) {
                if (source.take(e.getKey(), g.pending.poll())) queued++;
                n++;
            }
            taken += n;
            Duration wait = g.pending.isEmpty() || n == batch ? Duration.ZERO : g.bucket.untilNextToken();
            if (next == null || wait.compareTo(next) < 0) next = wait;
        }
        return new Round(taken, queued, Optional.ofNullable(next));
    }

    private static final class Guest {
        final TokenBucket bucket;
        final ArrayDeque<String> pending = new ArrayDeque<>();
        final AtomicBoolean dirty = new AtomicBoolean(true);

        Guest(TokenBucket bucket) {
            this.bucket = bucket;
        }
    }
}
