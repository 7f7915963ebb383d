package org.phoenixcast.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.assertj.core.api.SoftAssertions;
import org.jooq.Record;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.phoenixcast.it.support.BusyboxGuests;
import org.phoenixcast.it.support.CastdProcess;
import org.phoenixcast.it.support.DropGuest;
import org.phoenixcast.it.support.ReplyCollector;
import org.phoenixcast.linux.Sysctl;
import org.phoenixcast.store.Database;
import org.phoenixcast.testing.RequiresRoot;

/**
 * IN_Q_OVERFLOW for real: castd starts while the host's {@code fs.inotify.max_queued_events}
 * is lowered to {@value #QUEUE_LIMIT} (an inotify instance takes the limit when it is created;
 * the setting is restored right after castd's start, in a finally), then three guests drop
 * request files faster than castd reads its events, so the kernel drops events and queues an
 * overflow instead. castd's periodic rescan is set to an hour, so only the overflow handling
 * (mark every guest dirty, list the drop directories again) can find the files whose events
 * were dropped: every complete request must still be answered, exactly once (one queue row,
 * REPLIED, and its reply), within far less than the rescan interval. The last {@value #LAST}
 * requests of each guest arrive right behind a burst of noise events, so their own events are
 * the ones dropped and no later event of theirs could point castd at them: without the
 * overflow's rescan they would wait an hour and the test would fail.
 *
 * <p>Side effect while castd starts (about a second): other processes creating an inotify
 * instance at that moment also get the small queue; they see overflows, not failures.
 */
@RequiresRoot(tools = {"unshare", "nsenter", "mount", "umount", "pivot_root", "busybox"})
class InotifyOverflowIT {
    private static final Path MAX_QUEUED_EVENTS = Path.of("/proc/sys/fs/inotify/max_queued_events");
    /** Small enough that a few dozen events in a burst overflow; the kernel accepts any value >= 0. */
    private static final int QUEUE_LIMIT = 4;
    private static final String KERNEL_DEFAULT_QUEUED_EVENTS = "16384";
    private static final List<String> WRITERS = List.of("a", "b", "c");
    private static final int PER_GUEST = 200;
    /** Requests per guest renamed in last, right behind a burst of noise events: their own events overflow. */
    private static final int LAST = 5;
    /** Events of ignored dot-files that fill the small queue just before the last requests arrive. */
    private static final int NOISE = 32;
    /** Far below the rescan interval of an hour: only the overflow handling can meet it. */
    private static final Duration ANSWERED_WITHIN = Duration.ofSeconds(120);

    private BusyboxGuests fixture;
    private CastdProcess castd;
    private Map<String, DropGuest> guests = Map.of();
    private ReplyCollector replies;

    @AfterEach
    void stop() throws IOException {
        if (fixture != null) fixture.close();
    }

    @Test
    void everyCompleteRequestIsAnsweredExactlyOnceAfterTheInotifyQueueOverflows() throws Exception {
        String saved = Sysctl.read(MAX_QUEUED_EVENTS);
        // A limit this low is the leftover of a run killed before its finally, never a host's
        // setting: restore the kernel's default instead.
        if (Long.parseLong(saved) <= QUEUE_LIMIT) saved = KERNEL_DEFAULT_QUEUED_EVENTS;
        try {
            Sysctl.write(MAX_QUEUED_EVENTS, Integer.toString(QUEUE_LIMIT));
            // resync-seconds: the watcher's periodic rescan happens at start, then not for an hour.
            fixture = BusyboxGuests.takeOver(CastdProcess.start(Map.of("resync-seconds", "3600",
                    "guest-requests-per-second", "2000", "guest-max-queued", "100000"), null));
            castd = fixture.castd();
        } finally {
            Sysctl.write(MAX_QUEUED_EVENTS, saved);
        }
        assertThat(Sysctl.read(MAX_QUEUED_EVENTS)).as("the host's inotify limit restored").isEqualTo(saved);
        guests = fixture.add(WRITERS).byName();
        replies = fixture.collectReplies(guests.values(), Duration.ofMillis(10));

        long start = System.nanoTime();
        Map<String, List<String>> sent = new LinkedHashMap<>();
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        for (String g : WRITERS) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < PER_GUEST; i++) names.add("showcast.o" + g + i);
            sent.put(g, names);
            writers.add(CompletableFuture.runAsync(() -> dropAll(guests.get(g), names)));
        }
        for (CompletableFuture<Void> w : writers) w.get(ANSWERED_WITHIN.toSeconds(), TimeUnit.SECONDS);
        // The last requests arrive right behind a burst of noise (closed dot-files: events castd
        // reads and ignores), so the kernel drops their own events: no later event of the guest
        // would ever point castd at them. Only the overflow's rescan can find them.
        await("the guests' first requests taken (room for the last ones)").atMost(ANSWERED_WITHIN)
                .pollInterval(Duration.ofMillis(100)).until(() -> guests.values().stream()
                        .allMatch(g -> g.dropEntries().size() < 200 - NOISE - LAST));
        for (String g : WRITERS) {
            for (int k = 0; k < LAST; k++) Files.writeString(guests.get(g).hostDrop().resolve(".last" + k), "\n");
        }
        for (String g : WRITERS) {
            Path drop = guests.get(g).hostDrop();
            for (int n = 0; n < NOISE; n++) Files.writeString(drop.resolve(".noise" + n), "");
            for (int k = 0; k < LAST; k++) {
                String name = "showcast.last" + g + k;
                Files.move(drop.resolve(".last" + k), drop.resolve(name), StandardCopyOption.ATOMIC_MOVE);
                sent.get(g).add(name);
            }
        }
        for (String g : WRITERS) {
            for (int n = 0; n < NOISE; n++) Files.delete(guests.get(g).hostDrop().resolve(".noise" + n)); // no watched event
        }
        long deadline = System.nanoTime() + ANSWERED_WITHIN.toNanos();
        while (!missing(sent).isEmpty() && System.nanoTime() < deadline) Thread.sleep(200);
        if (!missing(sent).isEmpty()) {
            List<String> left = missing(sent);
            Map<String, List<String>> inDrop = new LinkedHashMap<>();
            guests.forEach((g, guest) -> inDrop.put(g, guest.dropEntries()));
            throw new AssertionError(left.size() + " requests unanswered after " + ANSWERED_WITHIN + ", e.g. "
                    + left.subList(0, Math.min(10, left.size())) + "; still in the drop directories: " + inDrop
                    + "; castd logged " + castd.log().lines().filter(l -> l.contains("overflowed")).count()
                    + " overflows; its warnings and errors: " + castd.log().lines()
                    .filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).limit(20).toList());
        }
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        long overflows = castd.log().lines().filter(l -> l.contains("inotify queue overflowed")).count();
        replies.close();

        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(overflows).as("IN_Q_OVERFLOW events castd logged (the test must overflow the queue)").isPositive();
        for (var e : sent.entrySet()) {
            for (String f : e.getValue()) soft.assertThat(replies.of(e.getKey()).get(f)).as(f).isEqualTo("ok\n");
            soft.assertThat(guests.get(e.getKey()).dropEntries()).as(e.getKey() + "'s drop directory").isEmpty();
        }
        castd.stop();
        Map<String, List<String>> rows = queueRows();
        for (var e : sent.entrySet()) {
            for (String f : e.getValue()) {
                soft.assertThat(rows.get(e.getKey() + ":" + f)).as("queue rows of " + e.getKey() + ":" + f)
                        .containsExactly("REPLIED");
            }
        }
        System.out.printf("InotifyOverflowIT: %d requests from %d guests with max_queued_events=%d: %d overflows"
                        + " logged, all answered in %d ms, lost %d, answered twice %d%n",
                WRITERS.size() * (PER_GUEST + LAST), WRITERS.size(), QUEUE_LIMIT, overflows, tookMillis, missing(sent).size(),
                rows.values().stream().filter(r -> r.size() > 1).count());
        soft.assertAll();
    }

    /** Writes each file complete under a dot-name and renames it in; waits out ENOSPC (a full drop tmpfs). */
    private static void dropAll(DropGuest guest, List<String> names) {
        for (String name : names) {
            long deadline = System.nanoTime() + ANSWERED_WITHIN.toNanos();
            while (true) {
                try {
                    if (guest.tryDropOnHost(name, "\n")) break;
                } catch (IOException e) {
                    throw new AssertionError(guest + ": cannot drop " + name, e);
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(guest + ": cannot drop " + name + ": its drop directory stayed full for "
                            + ANSWERED_WITHIN);
                }
                LockSupport.parkNanos(2_000_000);
            }
        }
    }

    private List<String> missing(Map<String, List<String>> sent) {
        List<String> out = new ArrayList<>();
        sent.forEach((g, files) -> files.stream().filter(f -> !replies.of(g).containsKey(f)).forEach(out::add));
        return out;
    }

    /** The stopped castd's queue: "guest:file" → states of its rows. */
    private Map<String, List<String>> queueRows() throws IOException {
        Map<String, List<String>> rows = new HashMap<>();
        try (Database db = Database.open(castd.stateDir().resolve("db"))) {
            for (Record r : db.dsl().fetch("select container, file_name, state from request")) {
                rows.computeIfAbsent(r.get(0, String.class) + ":" + r.get(1, String.class), k -> new ArrayList<>())
                        .add(r.get(2, String.class));
            }
        }
        return rows;
    }
}
