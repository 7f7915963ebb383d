package org.phoenixcast.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.jooq.Record;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.phoenixcast.it.support.BusyboxGuests;
import org.phoenixcast.it.support.CastdProcess;
import org.phoenixcast.it.support.DropGuest;
import org.phoenixcast.it.support.ReplyCollector;
import org.phoenixcast.it.support.ExecResult;
import org.phoenixcast.store.Database;
import org.phoenixcast.testing.RequiresRoot;

/**
 * A guest fills its own drop directory (the bounded /.syscmd tmpfs) while castd takes only
 * {@value #SLOW_RATE} file per second from it. Then the real guest command, run inside the
 * guest by busybox sh, must say that /.syscmd is full and exit non-zero, leaving nothing
 * behind; another guest's command is served meanwhile; and after castd restarts with a normal
 * rate, every request file the guest completed before the directory filled is answered exactly
 * once (one REPLIED queue row, one reply). The files wait in the guest's tmpfs across castd's
 * restart.
 */
@RequiresRoot(tools = {"unshare", "nsenter", "mount", "umount", "pivot_root", "busybox"})
class FullDropDirectoryIT {
    private static final int SLOW_RATE = 1;
    private static final Duration DRAIN = Duration.ofSeconds(40);
    private static final String FULL_MESSAGE =
            "showcast: cannot write the request to /.syscmd: it is full (too many requests waiting; try again later)";
    /**
     * Fills /.syscmd with complete requests (written under a dot-name, then renamed) until the
     * tmpfs refuses, then keeps it full in the background for 4 s (castd frees a slot a second;
     * the filler takes it back) while the real command runs with a 1 s reply timeout, up to
     * three times: one attempt can still win a freed slot, the next ones find it taken.
     */
    private static final String FILL_THEN_ASK = """
            fill() {
                if printf '\\n' > "/.syscmd/.fill$1" 2>/dev/null && mv "/.syscmd/.fill$1" "/.syscmd/showcast.fill$1"; then
                    return 0
                fi
                rm -f "/.syscmd/.fill$1"
                return 1
            }
            i=0
            while fill "$i"; do i=$((i + 1)); done
            echo "filled $i"
            (
                j=$i
                end=$(($(date +%s) + 4))
                while [ "$(date +%s)" -lt "$end" ]; do
                    if fill "$j"; then j=$((j + 1)); fi
                done
                echo "refilled $((j - i))"
            ) &
            for attempt in 1 2 3; do
                if CAST_TIMEOUT=1 /syscmd/showcast; then echo "attempt $attempt: exit 0"; else echo "attempt $attempt: exit $?"; fi
            done
            wait
            """;
    private static final Pattern FILLED = Pattern.compile("filled (\\d+)");
    private static final Pattern REFILLED = Pattern.compile("refilled (\\d+)");

    private BusyboxGuests fixture;
    private CastdProcess castd;
    private DropGuest a;
    private DropGuest b;
    /** a's replies as castd writes them (castd keeps only each guest's newest 512). */
    private Map<String, String> repliesOfA = Map.of();

    @BeforeEach
    void start() throws IOException {
        fixture = BusyboxGuests.start(
                CastdProcess.start(Map.of("guest-requests-per-second", Integer.toString(SLOW_RATE)), null), "a", "b");
        castd = fixture.castd();
        a = fixture.guest("a");
        b = fixture.guest("b");
    }

    @AfterEach
    void stop() throws IOException {
        if (fixture != null) fixture.close();
    }

    @Test
    void theGuestCommandSaysTheDirectoryIsFullAndNothingCompleteIsLost() throws Exception {
        ReplyCollector collector = fixture.collectReplies(List.of(a), Duration.ofMillis(10));
        repliesOfA = collector.of("a");
        ExecResult run = a.sh(FILL_THEN_ASK);
        ExecResult other = b.sh("/syscmd/showcast; echo \"exit $?\"");

        int filled = group(FILLED, run.stdout());
        int refilled = group(REFILLED, run.stdout());
        List<String> attempts = run.stdout().lines().filter(l -> l.startsWith("attempt ")).toList();
        SoftAssertions soft = new SoftAssertions();
        // ~255 fit (1 MiB of one-page files, 256 inodes), plus the few castd took meanwhile at 1 a second
        soft.assertThat(filled).as("complete requests written before /.syscmd was full").isBetween(200, 300);
        soft.assertThat(attempts).as("the guest command's attempts while /.syscmd is full").hasSize(3)
                .anyMatch(l -> l.endsWith(": exit 3")).noneMatch(l -> l.endsWith(": exit 0"));
        soft.assertThat(run.stderr()).as("what the guest command told the user").contains(FULL_MESSAGE);
        soft.assertThat(a.dropEntries()).as("a's drop directory: no temporary file left behind")
                .noneMatch(n -> n.startsWith(".")).noneMatch(n -> n.startsWith("showcast.") && !n.startsWith("showcast.fill"));
        soft.assertThat(other.stdout()).as("b's command while a's directory is full").contains("exit 0");
        soft.assertAll();

        // castd again, at a normal rate: the files waited in a's tmpfs; each is answered once.
        Files.writeString(castdConf(), "runtimes = \nguest-requests-per-second = 1000\n");
        castd.restart();
        int complete = filled + refilled;
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < complete; i++) expected.add("showcast.fill" + i);
        await("every complete request of a answered").atMost(DRAIN).pollInterval(Duration.ofMillis(200))
                .until(() -> repliesOfA.keySet().containsAll(expected) && a.dropEntries().isEmpty());
        collector.close();
        castd.stop();
        Map<String, List<String>> rows = queueRowsOfA();

        SoftAssertions after = new SoftAssertions();
        for (String f : expected) {
            after.assertThat(repliesOfA.get(f)).as("reply to " + f).isEqualTo("ok\n");
            after.assertThat(rows.get(f)).as("queue rows of " + f).containsExactly("REPLIED");
        }
        System.out.printf("FullDropDirectoryIT: /.syscmd full after %d complete requests (%d more while full);"
                        + " the guest command refused %d of 3 attempts with the full message; %d answered after"
                        + " the restart, lost %d, twice %d%n",
                filled, refilled, attempts.stream().filter(l -> l.endsWith(": exit 3")).count(),
                expected.stream().filter(repliesOfA::containsKey).count(),
                expected.stream().filter(f -> !rows.containsKey(f)).count(),
                rows.values().stream().filter(r -> r.size() > 1).count());
        after.assertAll();
    }

    /** castd.conf of this castd (CastdProcess writes it beside the state directory). */
    private Path castdConf() {
        Path conf = castd.stateDir().resolveSibling("castd.conf");
        assertThat(conf).exists();
        return conf;
    }

    private static int group(Pattern p, String text) {
        Matcher m = p.matcher(text);
        if (!m.find()) throw new AssertionError("no '" + p + "' in the guest's output:\n" + text);
        return Integer.parseInt(m.group(1));
    }

    private Map<String, List<String>> queueRowsOfA() throws IOException {
        Map<String, List<String>> rows = new HashMap<>();
        try (Database db = Database.open(castd.stateDir().resolve("db"))) {
            for (Record r : db.dsl().fetch("select file_name, state from request where container = 'a'")) {
                rows.computeIfAbsent(r.get(0, String.class), k -> new ArrayList<>()).add(r.get(1, String.class));
            }
        }
        return rows;
    }
}
