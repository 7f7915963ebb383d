package org.phoenixcast.store;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file system that holds castd's database, watched for running out of space.
 *
 * <p>What H2 (2.3.232, MVStore) does when a write fails with ENOSPC (measured): the commit
 * fails, the store "panics" and closes itself; every later statement fails ("The database has
 * been closed"), and every new connection reopens the file, which writes too and fails again
 * while the disk is full. Reads fail as well until space returns; then the next connection
 * reopens the store, which recovers to its last complete chunk (a failed commit is not in it).
 *
 * <p>So castd keeps H2 away from a full disk: while fewer than {@link #RESERVE_BYTES} are free,
 * the intake writes nothing to the database. It answers what needs no write (showcast) and
 * refuses every other request with {@link #REASON}; the worker leaves requests already queued
 * in the queue (they are served when space returns). Such refusals cannot get their history
 * row at once (that would be a write): they are counted here, per guest, and written as one
 * row per guest as soon as there is space again. The reserve also covers the small writes
 * already under way when the disk fills. Should H2 hit ENOSPC anyway (the disk filled faster
 * than the check), {@link #causedByFullDisk} recognises the failure, the request is refused
 * the same way, and the database reopens by itself once space returns.
 *
 * <p>Thread-safe.
 */
public final class StateDisk {
    private static final Logger log = LoggerFactory.getLogger(StateDisk.class);
    /**
     * Free space castd leaves untouched: far more than the few KiB a request costs (H2 reuses
     * freed chunks; the database of a busy host is tens of KiB), so that requests accepted just
     * before the disk filled still complete. The system property is for tests that need H2's
     * own out-of-space path (0 turns the check off).
     */
    public static final long RESERVE_BYTES = Long.getLong("phoenixcast.stateReserveBytes", 1 << 20);
    /**
     * After H2 itself failed for lack of space, the disk counts as full until at least this
     * much is free again (whatever the reserve): H2's reopen and the next commits need room.
     */
    static final long RECOVERED_BYTES = 256 << 10;
    /** The one-line reason guests get (no figures: nothing about the host's disk leaks beyond "full"). */
    public static final String REASON = "the host's state disk is full: castd takes no new requests until space returns;"
            + " try again later";

    private final Path directory;
    private final long reserveBytes;
    private volatile FileStore store;
    private final Map<ContainerName, Refusals> refused = new LinkedHashMap<>();
    private boolean full;
    private long fullSinceNanos;

    public StateDisk(Path directory) {
        this(directory, RESERVE_BYTES);
    }

    StateDisk(Path directory, long reserveBytes) {
        this.directory = directory;
        this.reserveBytes = reserveBytes;
    }

    /** True while the database must not be written: less than the reserve is free, or H2 just failed for lack of space. */
    public synchronized boolean isFull() {
        long free = freeBytes();
        boolean low = free >= 0 && free < reserveBytes;
        if (low) {
            markFull("less than " + reserveBytes / 1024 + " KiB free");
        } else if (full && free >= Math.max(reserveBytes, RECOVERED_BYTES)) {
            full = false;
            log.info("state disk {} has space again ({} KiB free) after {} ms", directory, free / 1024,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - fullSinceNanos));
        }
        return full;
    }

    /** H2 failed for lack of space (see {@link #causedByFullDisk}): full until the reserve is free again. */
    public synchronized void failedForLackOfSpace(Throwable failure) {
        markFull("a database write failed: " + rootMessage(failure));
    }

    private void markFull(String why) {
        if (full) return;
        full = true;
        fullSinceNanos = System.nanoTime();
        log.warn("state disk {} is full ({}): castd refuses new requests until space returns", directory, why);
    }

    /** Usable bytes on the database's file system, or -1 when that cannot be read (never taken as full). */
    public long freeBytes() {
        try {
            // Finding the FileStore reads the mount table; each getUsableSpace is one statvfs.
            FileStore s = store;
            if (s == null) store = s = Files.getFileStore(directory);
            return s.getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    /** Counts a request file of {@code container} refused with {@link #REASON} (its history row comes later). */
    public synchronized void refused(ContainerName container, String untrustedName) {
        String quoted = Printable.quote(untrustedName);
        Refusals r = refused.get(container);
        refused.put(container, r == null ? new Refusals(1, quoted, quoted) : new Refusals(r.count + 1, r.first, quoted));
        if (r == null) log.info("container={} request refused: {}", container, REASON);
    }

    /** True when refusals wait for their history rows. */
    public synchronized boolean hasUnrecordedRefusals() {
        return !refused.isEmpty();
    }

    /**
     * Writes one history row per guest for the requests refused while the disk was full (in
     * {@code tx}; the counts are forgotten only if it commits: call {@link #recorded} after).
     */
    public synchronized List<ContainerName> recordRefusals(DSLContext tx, HistoryStore history) {
        List<ContainerName> done = new ArrayList<>();
        for (Map.Entry<ContainerName, Refusals> e : refused.entrySet()) {
            Refusals r = e.getValue();
            String what = r.count == 1 ? "1 request file: " + r.first
                    : r.count + " request files while the disk was full: first " + r.first + ", last " + r.last;
            history.record(tx, e.getKey().value(), "request", what, "refused", REASON, null);
            done.add(e.getKey());
        }
        return done;
    }

    /** The rows of {@link #recordRefusals} committed. */
    public synchronized void recorded(List<ContainerName> containers) {
        for (ContainerName c : containers) refused.remove(c);
    }

    /**
     * True when {@code failure} (a jOOQ or JDBC exception, with H2's MVStoreException and the
     * IOException beneath) comes from a write that found no space on the device.
     */
    public static boolean causedByFullDisk(Throwable failure) {
        Set<Throwable> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        List<Throwable> todo = new ArrayList<>(List.of(failure));
        while (!todo.isEmpty()) {
            Throwable t = todo.remove(todo.size() - 1);
            if (t == null || !seen.add(t)) continue;
            String m = t.getMessage();
            if (m != null && m.contains("No space left on device")) return true;
            todo.add(t.getCause());
            todo.addAll(List.of(t.getSuppressed()));
            if (t instanceof java.sql.SQLException sql) todo.add(sql.getNextException());
        }
        return false;
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        return String.valueOf(root.getMessage()).replace('\n', ' ');
    }

    private record Refusals(long count, String first, String last) {}
}
