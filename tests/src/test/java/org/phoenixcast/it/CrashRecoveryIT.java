package org.phoenixcast.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.assertj.core.api.SoftAssertions;
import org.jooq.Record;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.phoenixcast.it.support.BusyboxGuests;
import org.phoenixcast.it.support.CastdJson;
import org.phoenixcast.it.support.CastdProcess;
import org.phoenixcast.it.support.DropGuest;
import org.phoenixcast.it.support.ReplyCollector;
import org.phoenixcast.it.support.H2Integrity;
import org.phoenixcast.testing.RequiresRoot;
import org.phoenixcast.store.Database;

/**
 * castd killed with SIGKILL while guests flood it, then restarted on the same state: no request
 * is lost, none is applied twice, every one gets its reply, the mounts converge to what the
 * database says with no target mounted twice, and the database opens clean after every kill.
 * Busybox containers: {@code GUESTS} of them fire bursts, one more ("q") only owns folders; all
 * own folders the others offer and accept.
 *
 * <p>Size: CI runs {@value #CI_ROUNDS} rounds of {@value #CI_GUESTS} guests x {@value #CI_PER_GUEST}
 * requests. {@code -Dphoenix.full=true} runs {@value #FULL_ROUNDS} rounds of {@value #FULL_GUESTS}
 * x {@value #FULL_PER_GUEST}; {@code -Dphoenix.crash.rounds=N}, {@code -Dphoenix.crash.guests=N},
 * {@code -Dphoenix.crash.requests=N} (per guest and round) override either. Figures are printed
 * per round and in total ("CrashRecoveryIT: ..." lines).
 */
@RequiresRoot(tools = {"unshare", "nsenter", "mount", "umount", "pivot_root", "busybox"})
class CrashRecoveryIT {
    static final int CI_ROUNDS = 3;
    static final int CI_GUESTS = 2;
    static final int CI_PER_GUEST = 300;
    static final int FULL_ROUNDS = 20;
    static final int FULL_GUESTS = 5;
    static final int FULL_PER_GUEST = 200;
    private static final boolean FULL = Boolean.getBoolean("phoenix.full");
    private static final int ROUNDS = Integer.getInteger("phoenix.crash.rounds", FULL ? FULL_ROUNDS : CI_ROUNDS);
    private static final int FIRING = Integer.getInteger("phoenix.crash.guests", FULL ? FULL_GUESTS : CI_GUESTS);
    /** Requests per firing guest and round. */
    private static final int BURST = Integer.getInteger("phoenix.crash.requests", FULL ? FULL_PER_GUEST : CI_PER_GUEST);
    /** Firing guests a, b, c, ...; "q" only owns folders. Names without '-': targets are /mnt/OWNER-sK. */
    private static final List<String> FIRING_NAMES = java.util.stream.IntStream.range(0, FIRING)
            .mapToObj(i -> String.valueOf((char) ('a' + i))).toList();
    private static final List<String> NAMES = java.util.stream.Stream.concat(FIRING_NAMES.stream(), java.util.stream.Stream.of("q")).toList();
    private static final List<String> VERBS = List.of("cast", "ucast", "caston", "castoff");
    private static final int FOLDERS = 3;
    /**
     * A round's backlog drains at castd's measured ~100 requests/s on an idle machine; a 2-core
     * machine shared with other builds (load 18) was seen at ~7/s, so allow 5/s and at least 2 min.
     */
    private static final Duration DRAIN = Duration.ofSeconds(Math.max(120, FIRING * BURST / 5));
    /** Lines of castd's log after a restart that would mean the database did not open clean. */
    private static final java.util.regex.Pattern DB_TROUBLE = java.util.regex.Pattern.compile(
            "(?i)org\\.h2|jdbc|corrupt|cannot open database|flyway| ERROR ");

    private final Random random = new Random();
    private final long seed = random.nextLong();
    private BusyboxGuests fixture;
    /** The fixture's castd: killed and restarted on the same object, so the guests stay valid. */
    private CastdProcess castd;
    /** The firing guests, then "q", by name. */
    private Map<String, DropGuest> guests = Map.of();

    @BeforeEach
    void startCastdAndContainers() throws IOException {
        random.setSeed(seed);
        // A guest's whole round may sit in the queue while castd is down: keep the per-guest
        // limit (a different test, FloodIT) out of the way of exactly-once accounting.
        fixture = BusyboxGuests.start(
                CastdProcess.start(Map.of("guest-max-queued", Integer.toString(Math.max(1024, 4 * BURST))), null), NAMES);
        castd = fixture.castd();
        guests = fixture.byName();
        for (DropGuest g : guests.values()) {
            String name = g.name();
            StringBuilder setup = new StringBuilder("set -eu\n");
            for (int k = 0; k < FOLDERS; k++) {
                setup.append("mkdir -p /srv/s").append(k).append(" && echo ").append(name).append(":/srv/s").append(k)
                        .append(" > /srv/s").append(k).append("/owner\n");
            }
            g.shOk(setup.toString());
        }
        startCollectingReplies();
    }

    /** Every reply castd wrote, per guest, collected as it appears (a round sends more than castd keeps). */
    private ReplyCollector replies;

    private void startCollectingReplies() {
        replies = fixture.collectReplies(guests.values(), Duration.ofMillis(20));
    }

    @AfterEach
    void stopEverything() throws IOException {
        if (fixture != null) fixture.close();
    }

    @Test
    void neitherLosesNorRepeatsRequestsWhenKilledDuringBursts() throws Exception {
        long started = System.nanoTime();
        Map<String, List<String>> sent = new TreeMap<>();  // guest -> request file names
        List<Long> backMillis = new ArrayList<>();
        List<Long> drainedMillis = new ArrayList<>();
        long crashDuplicates = 0;
        for (int round = 0; round < ROUNDS; round++) {
            Map<String, Map<String, String>> bursts = new LinkedHashMap<>();
            Map<String, List<String>> thisRound = new TreeMap<>();
            for (String requester : FIRING_NAMES) {
                bursts.put(requester, burst(requester, round));
                thisRound.put(requester, List.copyOf(bursts.get(requester).keySet()));
                sent.computeIfAbsent(requester, k -> new ArrayList<>()).addAll(bursts.get(requester).keySet());
            }
            int roundRequests = FIRING * BURST;
            int before = replies.total();
            List<CompletableFuture<Void>> writers = bursts.entrySet().stream()
                    .map(e -> CompletableFuture.runAsync(() -> drop(guests.get(e.getKey()), e.getValue()))).toList();
            // A random moment during the burst: after 0 to ~2/3 of this round's replies.
            int killAfter = random.nextInt(roundRequests * 2 / 3);
            await("round " + round + ": " + killAfter + " replies before the kill").atMost(DRAIN)
                    .pollInterval(Duration.ofMillis(5)).until(() -> replies.total() - before >= killAfter);
            castd.kill9();
            int answeredAtKill = replies.total() - before;
            Path crashCopy = H2Integrity.copyOf(castd.stateDir().resolve("db"));
            int logBefore = castd.log().length();
            long t0 = System.nanoTime();
            castd.restart();
            long back = (System.nanoTime() - t0) / 1_000_000;
            for (CompletableFuture<Void> w : writers) w.get();
            await("round " + round + ": queue drained and every request answered").atMost(DRAIN)
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> missingReplies(sent).isEmpty() && CastdJson.queued(castd) == 0);
            long drained = (System.nanoTime() - t0) / 1_000_000;
            backMillis.add(back);
            drainedMillis.add(drained);

            SoftAssertions soft = new SoftAssertions();
            String logAfter = castd.log().substring(Math.min(logBefore, castd.log().length()));
            soft.assertThat(logAfter.lines().filter(l -> DB_TROUBLE.matcher(l).find()).toList())
                    .as("round %d: castd's log after the restart (database trouble, errors)", round).isEmpty();
            soft.assertThat(castd.castctl("status").succeeded()).as("castctl status after the restart").isTrue();
            H2Integrity.Report report = H2Integrity.check(crashCopy);
            soft.assertThat(report.problems()).as("round %d: the database as kill -9 left it", round).isEmpty();
            long duplicatesAtKill = duplicatesInCopy(crashCopy, sent);
            crashDuplicates += duplicatesAtKill;
            soft.assertThat(duplicatesAtKill).as("round %d: requests queued or decided twice at the kill", round).isZero();
            H2Integrity.delete(crashCopy);
            for (String g : thisRound.keySet()) {
                soft.assertThat(guests.get(g).dropEntries()).as(g + "'s drop directory").isEmpty();
            }
            assertRepliesAreSingleBlocks(soft, thisRound);
            awaitMountsConverged();
            assertMountsMatchStatusAndGuests(soft);
            System.out.printf("CrashRecoveryIT: round %d/%d: %d requests from %d guests, killed after %d replies;"
                            + " castd answered %d ms after the restart, backlog drained %d ms after it;"
                            + " database at the kill: %s rows, %d schema lines, clean=%s; missing replies %d%n",
                    round + 1, ROUNDS, roundRequests, FIRING, answeredAtKill, back, drained,
                    report.rowsPerTable(), report.schemaLines(), report.clean(), missingReplies(sent).size());
            soft.assertAll();
        }

        SoftAssertions soft = new SoftAssertions();
        for (String g : sent.keySet()) {
            soft.assertThat(guests.get(g).dropEntries()).as(g + "'s drop directory").isEmpty();
        }
        long total = sent.values().stream().mapToLong(List::size).sum();
        if (total <= 20_000) assertOneOutcomePerRequestInHistory(soft, sent); // castctl history shows 100,000 rows at most
        soft.assertAll();

        castd.stop();
        long[] lossesAndDuplicates = assertOneQueueRowAndOneOutcomePerRequestInTheDatabase(sent);
        castd.restart();
        awaitMountsConverged();
        SoftAssertions afterReopen = new SoftAssertions();
        assertMountsMatchStatusAndGuests(afterReopen);
        afterReopen.assertThat(CastdJson.queued(castd)).isZero();
        System.out.printf("CrashRecoveryIT: %d rounds of kill -9, %d requests from %d guests: losses %d, duplicates %d"
                        + " (%d at the kills); castd answered after each restart in p50 %d ms, max %d ms; each round's"
                        + " backlog drained after p50 %d ms, max %d ms; whole test %.1f s (seed %d)%n",
                ROUNDS, total, FIRING, lossesAndDuplicates[0], lossesAndDuplicates[1], crashDuplicates,
                median(backMillis), java.util.Collections.max(backMillis), median(drainedMillis),
                java.util.Collections.max(drainedMillis), (System.nanoTime() - started) / 1e9, seed);
        afterReopen.assertAll();
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        java.util.Collections.sort(sorted);
        return sorted.get((sorted.size() - 1) / 2);
    }

    /**
     * In the database copy taken at a kill: requests of {@code sent} with more than one queue row,
     * or with an outcome count their state does not allow (QUEUED: none; DECIDED or REPLIED: one).
     */
    private static long duplicatesInCopy(Path copy, Map<String, List<String>> sent) throws IOException {
        Set<String> ours = new java.util.HashSet<>();
        sent.forEach((g, files) -> files.forEach(f -> ours.add(g + ":" + f)));
        long bad = 0;
        try (Database db = Database.open(copy)) {
            Map<String, Integer> rowsPerFile = new HashMap<>();
            for (Record r : db.dsl().fetch(OUTCOMES_PER_REQUEST)) {
                String key = r.get(0, String.class) + ":" + r.get(1, String.class);
                if (!ours.contains(key)) continue;
                rowsPerFile.merge(key, 1, Integer::sum);
                long outcomes = r.get(3, Long.class);
                boolean queued = "QUEUED".equals(r.get(2, String.class));
                if (outcomes != (queued ? 0 : 1)) bad++;
            }
            bad += rowsPerFile.values().stream().filter(n -> n > 1).count();
        }
        return bad;
    }

    private static final String OUTCOMES_PER_REQUEST = """
            select r.container, r.file_name, r.state,
                   (select count(*) from history h where h.request_id = r.id
                      and h.verb in ('cast', 'ucast', 'caston', 'castoff', 'castblock', 'showcast')) outcomes
            from request r""";

    @Test
    void repliesAfterRestartToARequestInFlightWhenCastdDied() throws Exception {
        DropGuest a = guests.get("a");
        // A backlog ahead of it keeps the worker busy, so the last request is queued but not decided.
        Map<String, String> requests = burst("a", 9);
        List<String> backlog = List.copyOf(requests.keySet());
        String inFlight = "caston.inflight";
        String line = "q:/srv/inflight-" + Long.toUnsignedString(seed, 36);
        requests.put(inFlight, line);
        a.clearReply(inFlight);
        drop(a, requests);
        await("in-flight request taken from the drop directory").atMost(DRAIN).pollInterval(Duration.ofMillis(2))
                .until(() -> !a.dropEntries().contains(inFlight));
        boolean answeredBeforeKill = Files.exists(a.hostReplies().resolve(inFlight));
        castd.kill9();
        assertThat(answeredBeforeKill).as("the request was still in flight at the kill (the backlog was too short)")
                .isFalse();
        assertThat(a.hostReplies().resolve(inFlight)).doesNotExist();

        castd.restart();
        String reply = a.awaitReply(inFlight, DRAIN);

        assertThat(reply).startsWith("ok\naccepted " + line + "; it is not offered to you yet");
        await("backlog answered").atMost(DRAIN).until(() -> missingReplies(Map.of("a", backlog)).isEmpty()
                && CastdJson.queued(castd) == 0);
        assertThat(CastdJson.history(castd)).filteredOn(r -> r.container().equals("a") && r.verb().equals("caston")
                && r.arguments().equals(line)).as("applied exactly once").hasSize(1);
        assertThat(CastdJson.status(castd).get("acceptances").toString()).contains(line);
    }

    // ---- the burst ------------------------------------------------------------------------------

    /**
     * {@link #BURST} one-line requests with tags unique across rounds: mixed verbs on a few
     * folders of the three guests. Returns file name -> line, in sending order.
     */
    private Map<String, String> burst(String requester, int round) {
        List<String> others = NAMES.stream().filter(n -> !n.equals(requester)).toList();
        Map<String, String> requests = new LinkedHashMap<>();
        for (int i = 0; i < BURST; i++) {
            String verb = VERBS.get(random.nextInt(VERBS.size()));
            String other = others.get(random.nextInt(others.size()));
            int k = random.nextInt(FOLDERS);
            String line = switch (verb) {
                case "cast" -> "/srv/s" + k + " " + other + ":/mnt/" + requester + "-s" + k;
                case "ucast" -> "/srv/s" + k + " " + other;
                default -> other + ":/srv/s" + k;
            };
            requests.put(verb + ".r" + round + "x" + requester + i, line);
        }
        return requests;
    }

    /**
     * Drops the requests into the guest's drop tmpfs through its host side (the same tmpfs castd
     * watches), each written to a dot-name and renamed: atomic, as the guest commands do. The
     * drop tmpfs (1 MiB) holds only ~256 one-page files: while castd lags or is dead the writer
     * gets ENOSPC and, like a patient guest, retries until castd has taken some.
     */
    private static void drop(DropGuest guest, Map<String, String> requests) {
        for (var e : requests.entrySet()) {
            await("room in " + guest + "'s drop directory for " + e.getKey()).atMost(DRAIN)
                    .pollInterval(Duration.ofMillis(5)).until(() -> guest.tryDropOnHost(e.getKey(), e.getValue() + "\n"));
        }
    }

    private int repliesWithPrefix(String prefix) {
        return (int) guests.keySet().stream().flatMap(g -> replies.of(g).keySet().stream())
                .filter(name -> name.contains("." + prefix)).count();
    }

    private List<String> missingReplies(Map<String, List<String>> sent) {
        List<String> missing = new ArrayList<>();
        sent.forEach((g, files) -> {
            for (String f : files) if (!replies.of(g).containsKey(f)) missing.add(g + ":" + f);
        });
        return missing;
    }

    // ---- assertions -----------------------------------------------------------------------------

    /** One request line, one reply block: "ok" or "error: …" first, and no second status line. */
    private void assertRepliesAreSingleBlocks(SoftAssertions soft, Map<String, List<String>> sent) throws IOException {
        for (var e : sent.entrySet()) {
            for (String f : e.getValue()) {
                List<String> lines = replies.of(e.getKey()).get(f).lines().toList();
                soft.assertThat(lines).as(e.getKey() + " reply " + f).isNotEmpty();
                if (lines.isEmpty()) continue;
                soft.assertThat(lines.get(0)).as(f).matches("ok|error: .*");
                soft.assertThat(lines.subList(1, lines.size())).as(f + ": a single reply block")
                        .noneMatch(l -> l.equals("ok") || l.startsWith("error: "));
            }
        }
    }

    /** Each request is one line, so exactly one guest-verb history row each: as many rows as requests. */
    private void assertOneOutcomePerRequestInHistory(SoftAssertions soft, Map<String, List<String>> sent) {
        Map<String, Long> rows = CastdJson.history(castd).stream()
                .filter(r -> sent.containsKey(r.container()) && VERBS.contains(r.verb()))
                .collect(Collectors.groupingBy(r -> r.container() + " " + r.verb(), TreeMap::new, Collectors.counting()));
        Map<String, Long> expected = new TreeMap<>();
        sent.forEach((g, files) -> files.forEach(f -> expected.merge(g + " " + f.substring(0, f.indexOf('.')), 1L, Long::sum)));
        soft.assertThat(rows).as("guest-verb history rows per container and verb").isEqualTo(expected);
    }

    /**
     * Reads the stopped castd's H2 file: one queue row per file, REPLIED, one outcome row each.
     * Returns {losses, duplicates}: files with no REPLIED row or no outcome, and files with more
     * than one row or more than one outcome.
     */
    private long[] assertOneQueueRowAndOneOutcomePerRequestInTheDatabase(Map<String, List<String>> sent)
            throws IOException {
        try (Database db = Database.open(castd.stateDir().resolve("db"))) {
            Map<String, List<String>> rowsByFile = new HashMap<>();
            for (Record r : db.dsl().fetch(OUTCOMES_PER_REQUEST)) {
                rowsByFile.computeIfAbsent(r.get(0, String.class) + ":" + r.get(1, String.class), k -> new ArrayList<>())
                        .add(r.get(2, String.class) + "/" + r.get(3, Long.class));
            }
            long losses = 0;
            long duplicates = 0;
            SoftAssertions soft = new SoftAssertions();
            for (var e : sent.entrySet()) {
                for (String f : e.getValue()) {
                    List<String> rows = rowsByFile.getOrDefault(e.getKey() + ":" + f, List.of());
                    if (rows.size() > 1 || rows.stream().anyMatch(r -> r.endsWith("/2") || r.matches(".*/[3-9]\\d*"))) {
                        duplicates++;
                    } else if (!rows.equals(List.of("REPLIED/1"))) {
                        losses++;
                    }
                    soft.assertThat(rows).as("queue rows (state/outcomes) of " + e.getKey() + ":" + f)
                            .containsExactly("REPLIED/1");
                }
            }
            soft.assertThat(losses).as("requests lost").isZero();
            soft.assertThat(duplicates).as("requests applied twice").isZero();
            soft.assertAll();
            return new long[] {losses, duplicates};
        }
    }

    private void awaitMountsConverged() {
        await("mounts converge to the desired state").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(250)).until(() -> {
                    JsonNode status = CastdJson.status(castd);
                    return desired(status).equals(listed(status)) && listed(status).equals(actual());
                });
    }

    /**
     * Mounts in each guest's mountinfo = status --json "mounts" = what shares and acceptances imply;
     * no mount point twice in a guest; each mounted folder is the one its source names.
     */
    private void assertMountsMatchStatusAndGuests(SoftAssertions soft) {
        JsonNode status = CastdJson.status(castd);
        Set<String> listed = listed(status);
        soft.assertThat(actual()).as("mounts in the guests' mountinfo").isEqualTo(listed);
        soft.assertThat(listed).as("status mounts vs shares and acceptances").isEqualTo(desired(status));
        for (DropGuest g : guests.values()) {
            List<String> points = g.mountPoints();
            Set<String> twice = points.stream().filter(p -> points.indexOf(p) != points.lastIndexOf(p))
                    .collect(Collectors.toCollection(TreeSet::new));
            soft.assertThat(twice).as(g + ": mount points mounted more than once").isEmpty();
        }
        for (JsonNode m : status.get("mounts")) {
            DropGuest receiver = guests.get(m.get("receiver").asText());
            String target = m.get("target").asText();
            soft.assertThat(receiver.sh("cat " + target + "/owner").stdout().strip()).as(receiver + " " + target)
                    .isEqualTo(m.get("source").asText());
        }
    }

    /** "receiver target source" of castd's mounts per status --json. */
    private static Set<String> listed(JsonNode status) {
        Set<String> out = new TreeSet<>();
        for (JsonNode m : status.get("mounts")) {
            out.add(m.get("receiver").asText() + " " + m.get("target").asText() + " " + m.get("source").asText());
        }
        return out;
    }

    /** What shares plus acceptances imply (all owners run, no blocks in this test). */
    private static Set<String> desired(JsonNode status) {
        Set<String> accepted = new TreeSet<>();
        for (JsonNode a : status.get("acceptances")) accepted.add(a.get("receiver").asText() + " " + a.get("source").asText());
        Set<String> out = new TreeSet<>();
        for (JsonNode s : status.get("shares")) {
            String to = s.get("to").asText();
            String source = s.get("source").asText();
            if (accepted.contains(to + " " + source)) out.add(to + " " + s.get("target").asText() + " " + source);
        }
        return out;
    }

    /** "receiver target source" of every mount under /mnt in each guest's live mountinfo. */
    private Set<String> actual() {
        Set<String> out = new TreeSet<>();
        for (DropGuest g : guests.values()) {
            for (String point : g.mountPoints()) {
                if (!point.startsWith("/mnt/")) continue;
                // Targets are /mnt/OWNER-sK for OWNER's /srv/sK: the name says which source it must be.
                String leaf = point.substring("/mnt/".length());
                out.add(g.name() + " " + point + " " + leaf.substring(0, leaf.indexOf('-')) + ":/srv/"
                        + leaf.substring(leaf.indexOf('-') + 1));
            }
        }
        return out;
    }
}
