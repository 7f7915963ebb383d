package org.phoenixcast.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.phoenixcast.it.support.Latencies.millis;
import static org.phoenixcast.it.support.Latencies.percentile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.phoenixcast.it.support.BusyboxGuests;
import org.phoenixcast.it.support.CastdJson;
import org.phoenixcast.it.support.CastdJson.HistoryRow;
import org.phoenixcast.it.support.CastdProcess;
import org.phoenixcast.it.support.DropGuest;
import org.phoenixcast.it.support.ReplyCollector;
import org.phoenixcast.store.Database;
import org.phoenixcast.testing.RequiresRoot;

/**
 * A flooding guest against a real castd. Guest a fills its drop directory as fast as it can,
 * refilling as castd drains it, while guest b makes one request at a time. CI floods for
 * {@link #CI_FLOOD}; {@code -Dphoenix.full=true} floods until a has written {@value #FULL_FILES}
 * request files ({@code -Dphoenix.flood.files=N} sets another count), at most {@link #FULL_LIMIT}.
 * b's latency must stay within a few times what it is without the flood, a's excess must be
 * refused with the documented reply and counted in a few history rows, castd's memory must
 * stay bounded, and every file a wrote must get a reply.
 *
 * <p>castd runs with a small queue limit so the refusal path is exercised within CI time, a
 * rate high enough that intake is not what slows a down, and a 256 MiB heap so a leak would
 * show as a failure, not as a machine swapping. Requests are written from the host side of the
 * drop tmpfs (the same tmpfs a guest writes): a shell in the guest could not flood as hard.
 */
@RequiresRoot(tools = {"unshare", "nsenter", "mount", "umount", "pivot_root", "busybox"})
class FloodIT {
    private static final int MAX_QUEUED = 32;
    private static final Duration CI_FLOOD = Duration.ofSeconds(15);
    static final int FULL_FILES = 100_000;
    /** Bounds the full run: castd took ~75 files a second from the flooder at load 20 (2 cores shared). */
    private static final Duration FULL_LIMIT = Duration.ofMinutes(45);
    /** Files a must write: 0 in CI (a time-bounded flood of {@link #CI_FLOOD} instead). */
    private static final long FILES = Long.getLong("phoenix.flood.files", Boolean.getBoolean("phoenix.full") ? FULL_FILES : 0);
    private static final Duration FLOOD = FILES > 0 ? FULL_LIMIT : CI_FLOOD;
    private static final Duration DRAIN = Duration.ofSeconds(30);
    private static final int BASELINE_SAMPLES = 40;
    private static final Duration PROBE_EVERY = Duration.ofMillis(100);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);
    /** b's probes measure latency: the reply is looked for every 0.2 ms. */
    private static final Duration PROBE_POLL = Duration.ofNanos(200_000);
    /** b's median under flood may be this many times its median without it (a floor of 2 ms for the baseline). */
    private static final double MEDIAN_FACTOR = 5;
    /**
     * b's p90 under flood vs its p90 without: the tail is where a 2-core machine shared with
     * other builds shows (seen: 5.4x at load 12 with a fair castd), hence a wider factor.
     */
    private static final double P90_FACTOR = 8;
    /** b's worst request under flood, absolute: castd's 1 s resync, a GC pause and a loaded 2-core box included. */
    private static final Duration MAX_CAP = Duration.ofSeconds(1);
    /** b's worst request under flood may also be this many times its worst without it. */
    private static final int MAX_FACTOR = 3;
    private static final long RSS_CAP_KIB = 512 * 1024;
    private static final long HEAP_GROWTH_CAP_KIB = 32 * 1024;
    private static final String REFUSAL = "error: too many pending requests (max " + MAX_QUEUED + "); try again later\n";
    private static final Pattern BURST_COUNT = Pattern.compile("^(\\d+) request files?");

    private BusyboxGuests fixture;
    private CastdProcess castd;
    private DropGuest a;
    private DropGuest b;
    /** a's replies as castd writes them (castd keeps only each guest's newest 512). */
    private Map<String, String> repliesOfA = Map.of();

    @BeforeEach
    void start() throws IOException {
        fixture = BusyboxGuests.start(CastdProcess.start(Map.of("guest-max-queued", Integer.toString(MAX_QUEUED),
                "guest-requests-per-second", "5000"), "-Xmx256m"), "a", "b");
        castd = fixture.castd();
        a = fixture.guest("a");
        b = fixture.guest("b");
    }

    @AfterEach
    void stop() throws IOException {
        if (fixture != null) fixture.close();
    }

    @Test
    void aFloodingGuestNeitherDelaysAnotherNorGrowsCastd() throws Exception {
        List<Long> baseline = new ArrayList<>();
        for (int i = 0; i < BASELINE_SAMPLES; i++) {
            baseline.add(probe(b, "showcast.base" + i));
            Thread.sleep(PROBE_EVERY.toMillis() / 2);
        }
        long heapBefore = heapUsedAfterGcKiB();
        long rssBefore = castd.rssKiB();

        ReplyCollector collector = fixture.collectReplies(List.of(a), Duration.ofMillis(10));
        repliesOfA = collector.of("a");
        AtomicBoolean flooding = new AtomicBoolean(true);
        AtomicLong written = new AtomicLong();
        AtomicLong enospc = new AtomicLong();
        Set<String> sentByA = ConcurrentHashMap.newKeySet();
        Thread flooder = new Thread(() -> flood(flooding, written, enospc, sentByA), "flooder");
        AtomicLong rssMax = new AtomicLong(rssBefore);
        ScheduledExecutorService rssSampler = Executors.newSingleThreadScheduledExecutor();
        rssSampler.scheduleAtFixedRate(() -> rssMax.accumulateAndGet(castd.rssKiB(), Math::max), 0, 200, TimeUnit.MILLISECONDS);

        long floodStart = System.nanoTime();
        flooder.start();
        List<Long> underFlood = new ArrayList<>();
        long end = floodStart + FLOOD.toNanos();
        int k = 0;
        while (System.nanoTime() < end && (FILES == 0 || written.get() < FILES) && flooder.isAlive()) {
            underFlood.add(probe(b, "showcast.flood" + k++));
            Thread.sleep(PROBE_EVERY.toMillis());
        }
        flooding.set(false);
        flooder.join();
        long floodSeconds = Math.max(1, (System.nanoTime() - floodStart) / 1_000_000_000L);
        rssSampler.shutdownNow();

        // castd keeps a guest's newest 512 replies: in CI the collector sees them all; in a full
        // run of 100,000 the database's accounting below is what proves that none was lost.
        await("every file a wrote answered, queue drained").atMost(DRAIN).pollInterval(Duration.ofMillis(200))
                .until(() -> (FILES > 0 || repliesOfA.keySet().containsAll(sentByA)) && CastdJson.queued(castd) == 0
                        && a.dropEntries().isEmpty());
        collector.close();
        long heapAfter = heapUsedAfterGcKiB();
        long rssAfter = castd.rssKiB();

        long refused = repliesOfA.values().stream().filter(REFUSAL::equals).count();
        long ok = repliesOfA.values().stream().filter("ok\n"::equals).count();
        List<HistoryRow> bursts = CastdJson.history(castd).stream()
                .filter(r -> r.container().equals("a") && r.outcome().equals("refused")).toList();
        long countedInHistory = bursts.stream().mapToLong(r -> burstCount(r.arguments())).sum();

        System.out.printf("FloodIT: b without flood: p50 %.1f ms, p90 %.1f ms, max %.1f ms (%d requests)%n",
                millis(percentile(baseline, 50)), millis(percentile(baseline, 90)), millis(percentile(baseline, 100)),
                baseline.size());
        System.out.printf("FloodIT: b under flood:   p50 %.1f ms, p90 %.1f ms, max %.1f ms (%d requests)%n",
                millis(percentile(underFlood, 50)), millis(percentile(underFlood, 90)), millis(percentile(underFlood, 100)),
                underFlood.size());
        castd.stop(); // the database is castd's alone while it runs
        long queuedOfA = queueRowsOf("a");
        System.out.printf("FloodIT: a wrote %d files in %d s (%d writes hit ENOSPC): %d queued and answered, %d refused"
                        + " (history: %d rows counting %d); replies seen by the test: %d ok, %d refusals%n",
                written.get(), floodSeconds, enospc.get(), queuedOfA, countedInHistory, bursts.size(), countedInHistory,
                ok, refused);
        System.out.printf("FloodIT: castd VmRSS %d MiB before, max %d MiB during, %d MiB after;"
                        + " heap used after full GC %d KiB before, %d KiB after%n",
                rssBefore / 1024, rssMax.get() / 1024, rssAfter / 1024, heapBefore, heapAfter);

        // Anything else a got is a finding: show it, with castd's warnings and errors, so a
        // failure of the assertion below says what happened.
        repliesOfA.forEach((name, reply) -> {
            if (!reply.equals("ok\n") && !reply.equals(REFUSAL)) System.out.printf("FloodIT: unexpected reply %s: %s", name, reply);
        });
        if (ok + refused != repliesOfA.size()) {
            castd.log().lines().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ") || l.startsWith("\t")
                    || l.contains("Exception")).limit(60).forEach(l -> System.out.println("FloodIT: castd: " + l));
        }

        SoftAssertions soft = new SoftAssertions();
        long baseMedian = Math.max(percentile(baseline, 50), TimeUnit.MILLISECONDS.toNanos(2));
        soft.assertThat(percentile(underFlood, 50)).as("b's median under flood (ns) vs %d x without", (int) MEDIAN_FACTOR)
                .isLessThanOrEqualTo((long) (MEDIAN_FACTOR * baseMedian));
        soft.assertThat(percentile(underFlood, 90)).as("b's p90 under flood (ns) vs %d x without", (int) P90_FACTOR)
                .isLessThanOrEqualTo((long) (P90_FACTOR * Math.max(percentile(baseline, 90), TimeUnit.MILLISECONDS.toNanos(2))));
        // The worst of thousands of probes (a full run) also catches the machine's own hiccups:
        // at load 20 b's worst was 0.75 s without the flood and 1.42 s in a 10-minute one.
        long worstCap = Math.max(MAX_CAP.toNanos(), MAX_FACTOR * percentile(baseline, 100));
        soft.assertThat(percentile(underFlood, 100)).as("b's worst request under flood (ns) vs 1 s or %d x its worst without",
                MAX_FACTOR).isLessThanOrEqualTo(worstCap);
        // How many files a gets in is castd's drain rate (DB-bound, ~5 commits per request); how
        // many it tries is the flood: thousands of writes, most of them bouncing off a full tmpfs.
        soft.assertThat(written.get()).as("a's files written").isGreaterThanOrEqualTo(FILES > 0 ? FILES : 500);
        soft.assertThat(written.get() + enospc.get()).as("a's write attempts").isGreaterThanOrEqualTo(2000);
        soft.assertThat(refused).as("a's files refused with the documented reply").isPositive();
        soft.assertThat(ok + refused).as("every reply of a is ok or the refusal").isEqualTo(repliesOfA.size());
        if (FILES == 0) soft.assertThat(repliesOfA.keySet()).as("a's replies").containsAll(sentByA);
        soft.assertThat(queuedOfA + countedInHistory).as("a's files queued (one request row each) plus refused"
                + " (counted in history): every file a wrote, once").isEqualTo(written.get());
        soft.assertThat(bursts).as("a's refusals in history").isNotEmpty().allSatisfy(r -> {
            assertThat(r.verb()).isEqualTo("request");
            assertThat(r.reason()).isEqualTo("too many pending requests (max " + MAX_QUEUED + "); try again later");
        });
        soft.assertThat(bursts.size()).as("history rows for a's refusals (one per burst, 5 s gap)")
                .isLessThanOrEqualTo(1 + (int) (floodSeconds / 5));
        if (FILES == 0) soft.assertThat(countedInHistory).as("refusals counted in history").isEqualTo(refused);
        soft.assertThat(a.dropEntries()).as("a's drop directory after the flood").isEmpty();
        soft.assertThat(rssMax.get()).as("castd VmRSS (KiB) during the flood").isLessThan(RSS_CAP_KIB);
        soft.assertThat(heapAfter - heapBefore).as("castd heap growth after full GC (KiB)").isLessThan(HEAP_GROWTH_CAP_KIB);
        soft.assertAll();
    }

    /** Writes one request on b's host side (dot-name, then rename) and waits for its reply; nanoseconds. */
    private static long probe(DropGuest guest, String name) throws IOException {
        long start = System.nanoTime();
        guest.dropOnHost(name, "\n");
        // PROBE_TIMEOUT counts from before the write, as the latency does
        Optional<String> reply = guest.pollReply(name, PROBE_TIMEOUT.minusNanos(System.nanoTime() - start), PROBE_POLL);
        long took = System.nanoTime() - start;
        assertThat(reply.orElseThrow(() -> new AssertionError(name + ": no reply within 10 s"))).as(name).isEqualTo("ok\n");
        return took;
    }

    /** a's flood: as many files as its drop tmpfs takes, retrying after ENOSPC as castd drains it. */
    private void flood(AtomicBoolean flooding, AtomicLong written, AtomicLong enospc, Set<String> sent) {
        long i = 0;
        while (flooding.get()) {
            String name = "showcast.a" + i;
            boolean dropped;
            try {
                dropped = a.tryDropOnHost(name, "\n");
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            if (dropped) {
                sent.add(name);
                written.incrementAndGet();
                i++;
            } else {
                enospc.incrementAndGet();
                LockSupport.parkNanos(1_000_000);
            }
        }
    }

    private static long burstCount(String arguments) {
        Matcher m = BURST_COUNT.matcher(arguments);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** Request rows of a guest in the stopped castd's database: the files it queued. */
    private long queueRowsOf(String guest) throws IOException {
        try (Database db = Database.open(castd.stateDir().resolve("db"))) {
            return db.dsl().fetchCount(db.dsl().selectFrom(org.phoenixcast.store.schema.Tables.REQUEST)
                    .where(org.phoenixcast.store.schema.Tables.REQUEST.CONTAINER.eq(guest)));
        }
    }

    /** castd's used heap right after a full GC (jcmd GC.run, then GC.heap_info), KiB. */
    private long heapUsedAfterGcKiB() throws IOException, InterruptedException {
        jcmd("GC.run");
        String info = jcmd("GC.heap_info");
        Matcher m = Pattern.compile("used (\\d+)K").matcher(info);
        if (!m.find()) throw new AssertionError("no heap usage in jcmd GC.heap_info:\n" + info);
        return Long.parseLong(m.group(1));
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("jcmd", Long.toString(castd.pid()), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new AssertionError("jcmd " + command + ": " + out);
        return out;
    }
}
