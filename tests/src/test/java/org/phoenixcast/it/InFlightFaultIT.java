package org.phoenixcast.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.phoenixcast.it.support.DropGuest.mountId;
import static org.phoenixcast.it.support.Replies.firstLine;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.phoenixcast.it.runtimes.RuncFixture;
import org.phoenixcast.it.support.BusyboxRootfs;
import org.phoenixcast.it.support.CastdJson;
import org.phoenixcast.it.support.CastdJson.HistoryRow;
import org.phoenixcast.it.support.CastdProcess;
import org.phoenixcast.it.support.DropGuest;
import org.phoenixcast.it.support.HostMounts;
import org.phoenixcast.it.support.RuntimeContainer;
import org.phoenixcast.it.support.UnshareContainer;
import org.phoenixcast.linux.Sysctl;
import org.phoenixcast.testing.RequiresRoot;
import org.phoenixcast.testing.TestMounts;

/**
 * Containers that die while castd works for them: a guest SIGKILLed in the middle of its own
 * burst of requests, an owner SIGKILLed while its share is being injected again and again, and
 * a container's PID taken over by an unrelated process between two of castd's looks at it.
 * castd must answer (or record) every request, keep serving the other guests, hold no mount
 * for the dead, never mount anything but the owner's folder, and never set up or inject into
 * the process that took over a PID.
 *
 * <p>Guests: user-namespaced runc containers (discovered; restarted with runc), a castd sandbox,
 * and busybox unshare containers registered by {@code --pid} and by {@code --pidfile}.
 */
@RequiresRoot(tools = {"runc", "nsenter", "unshare", "busybox"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InFlightFaultIT {
    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration REPLY_POLL = Duration.ofMillis(2);
    /** castd resyncs every second: three resyncs and some. */
    private static final Duration SEVERAL_RESYNCS = Duration.ofSeconds(4);
    private static final Path NS_LAST_PID = Path.of("/proc/sys/kernel/ns_last_pid");
    /** -Dphoenix.full=true: 20 owner kills instead of 4. */
    private static final boolean FULL = Boolean.getBoolean("phoenix.full");

    private final AtomicInteger tags = new AtomicInteger();
    private RuncFixture runc;
    private CastdProcess castd;
    private DropGuest sandbox;
    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @BeforeAll
    void startCastd() throws IOException {
        runc = RuncFixture.withUserNamespace();
        castd = CastdProcess.start(runc.castdSettings(), null);
        sandbox = DropGuest.sandbox(castd, "sbfault");
        sandbox.shOk("mkdir -p /srv/a /srv/c && echo sbfault > /srv/a/MARKER && echo sbfault > /srv/c/MARKER");
    }

    /** On a failure, castd's last log lines (its state directory is removed at the end). */
    @org.junit.jupiter.api.extension.RegisterExtension
    final org.junit.jupiter.api.extension.TestWatcher logOnFailure = new org.junit.jupiter.api.extension.TestWatcher() {
        @Override
        public void testFailed(org.junit.jupiter.api.extension.ExtensionContext context, Throwable cause) {
            List<String> lines = castd.log().lines().toList();
            System.out.println("castd log (last 80 lines):\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size())));
        }
    };

    @AfterAll
    void stopEverything() throws Exception {
        try {
            if (castd != null) castd.close();
        } finally {
            for (AutoCloseable c : cleanup) c.close();
            if (runc != null) runc.close();
        }
    }

    /**
     * (a) A guest drops a burst of caston/castoff requests (the last one a caston) and its init
     * is SIGKILLed as soon as castd has answered the first. castd stays up, serves the sandbox at
     * once, holds no mount of the share, counts the guest as stopped; when runc starts the guest
     * again, every request of the burst has exactly one reply and one history row, and the guest
     * has exactly the mounts the last request castd decided asks for (showcast agrees).
     */
    @Test
    void aGuestKilledDuringItsOwnBurstLeavesCastdServingAndConsistent() throws Exception {
        RuntimeContainer container = runc.create("burst" + ProcessHandle.current().pid() % 10000);
        container.start();
        DropGuest guest = DropGuest.discovered(castd, "runc", container);
        String source = sandbox.name() + ":/srv/a";
        assertThat(firstLine(sandbox.request("cast", tag(), "/srv/a " + guest.name() + ":/mnt/a"))).isEqualTo("ok");
        HostMounts hostBefore = HostMounts.snapshot();
        Set<String> castdBefore = castdMounts();

        int burst = 61; // odd: the last request is a caston
        List<String> names = new ArrayList<>();
        for (int i = 0; i < burst; i++) {
            String name = (i % 2 == 0 ? "caston." : "castoff.") + tag();
            guest.dropOnHost(name, source + "\n");
            names.add(name);
        }
        // the kill falls as soon as castd has taken the first request from the drop directory
        int pid = guest.pid();
        await("first request taken").atMost(REPLY_TIMEOUT).pollInterval(Duration.ofMillis(1))
                .until(() -> !Files.exists(guest.hostDrop().resolve(names.get(0))));
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        int answeredAtKill = countReplies(guest, names);

        // castd is up and serves another guest promptly
        long t0 = System.nanoTime();
        assertThat(firstLine(requestFast(sandbox, "showcast", ""))).isEqualTo("ok");
        long servedMillis = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ProcessHandle.of(castd.pid()).map(ProcessHandle::isAlive)).contains(true);
        await("castd sees the guest stopped").atMost(Duration.ofSeconds(30)).until(() -> "stopped".equals(stateOf(guest.name())));
        int answeredWhileRunning = countReplies(guest, names);
        assertThat(castdMounts()).as("castd's own mount table").isEqualTo(castdBefore);
        assertThat(HostMounts.snapshot().changesSince(hostBefore, castd.stateDir().getParent())).as("host mount table").isEmpty();

        container.start();
        DropGuest again = DropGuest.discovered(castd, "runc", container);
        await("every request decided and replied").atMost(Duration.ofSeconds(30)).until(() -> CastdJson.queued(castd) == 0);
        await("every request of the burst has a reply").atMost(Duration.ofSeconds(10))
                .until(() -> countReplies(again, names) == burst);
        Map<String, Integer> firstLines = new TreeMap<>();
        for (String name : names) {
            String first = firstLine(Files.readString(again.hostReplies().resolve(name)));
            assertThat(first).as(name).matches("ok|error: .+");
            firstLines.merge(first, 1, Integer::sum);
        }
        Map<String, Integer> outcomes = new TreeMap<>();
        String lastDecided = null;
        for (HistoryRow row : CastdJson.history(castd)) {
            if (!row.container().equals(guest.name())) continue;
            assertThat(row.reason()).as("history of %s", guest.name()).doesNotContain("internal error");
            if (row.verb().equals("caston") || row.verb().equals("castoff")) {
                outcomes.merge(row.verb() + " " + row.outcome(), 1, Integer::sum);
                if (row.outcome().equals("ok")) lastDecided = row.verb();
            }
        }
        assertThat(outcomes.values().stream().mapToInt(Integer::intValue).sum()).as("one history row per request").isEqualTo(burst);
        // Requests dropped together have no order (castd takes them as it finds them): the
        // restarted guest must have exactly what the last one castd decided asked for, and
        // showcast must say the same.
        boolean accepted = "caston".equals(lastDecided);
        if (accepted) {
            await("the accepted share is back").atMost(Duration.ofSeconds(10))
                    .until(() -> again.mountPoints().contains("/mnt/a"));
            assertThat(again.shOk("cat /mnt/a/MARKER").strip()).isEqualTo(sandbox.name());
            assertThat(again.request("showcast", tag(), "")).contains(source + " /mnt/a rw");
        } else {
            sleep(SEVERAL_RESYNCS.toMillis());
            assertThat(again.request("showcast", tag(), "")).doesNotContain(source);
        }
        assertThat(again.mountPoints().stream().filter("/mnt/a"::equals)).hasSize(accepted ? 1 : 0);
        assertThat(castd.log()).doesNotContain("internal error").doesNotContain("Exception in thread");
        System.out.printf("InFlightFaultIT: guest killed in its burst: %d requests, %d replied when the SIGKILL was sent, %d by the time "
                        + "castd listed the guest stopped, all %d after the runc restart; replies %s; history %s; last "
                        + "decided %s, mounts match; another guest served %d ms after the kill%n", burst, answeredAtKill,
                answeredWhileRunning, burst, firstLines, outcomes, lastDecided, servedMillis);
        assertThat(firstLine(sandbox.request("ucast", tag(), "/srv/a " + guest.name()))).isEqualTo("ok");
        container.close();
    }

    /**
     * (b) The receiver (the sandbox) casts a read-only share on and off while its owner's init
     * is SIGKILLed, in several rounds (runc restarts the owner). Every reply is ok or a clear error; every mount the receiver ever has is the
     * owner's folder; once the owner is dead the receiver holds none; castd's own mount
     * namespace keeps no staged clone (the read-only lock stages through it); castd serves on.
     */
    @Test
    void anOwnerKilledWhileItsShareIsInjectedLeavesNoStrayMount() throws Exception {
        RuntimeContainer container = runc.create("owner" + ProcessHandle.current().pid() % 10000);
        container.start();
        DropGuest owner = DropGuest.discovered(castd, "runc", container);
        owner.shOk("mkdir -p /srv/b && echo " + owner.name() + " > /srv/b/MARKER");
        String source = owner.name() + ":/srv/b";
        assertThat(firstLine(owner.request("cast", tag(), "--ro /srv/b " + sandbox.name() + ":/mnt/b"))).isEqualTo("ok");
        Set<Integer> receiverBefore = sandbox.mountIds();
        // calm: which folder the share is (device and root in mountinfo)
        assertThat(firstLine(sandbox.request("caston", tag(), source))).isEqualTo("ok");
        assertThat(sandbox.shOk("cat /mnt/b/MARKER").strip()).isEqualTo(owner.name());
        String expected = identity(sandbox.mountinfo().stream().filter(l -> !receiverBefore.contains(mountId(l)))
                .findFirst().orElseThrow());
        assertThat(firstLine(sandbox.request("castoff", tag(), source))).isEqualTo("ok");
        HostMounts hostBefore = HostMounts.snapshot();
        Set<String> castdBefore = castdMounts();

        // Each round: runc starts the owner (again), the receiver casts on and off 40 times, and
        // the owner's init is SIGKILLed from another thread 0-4 ms after request #10 was dropped,
        // so the kill falls at a different point of castd's work on it each round.
        int rounds = FULL ? 20 : 4;
        int perRound = 40;
        int killAt = 10;
        Map<String, Integer> replies = new TreeMap<>();
        Set<String> wrong = new TreeSet<>();
        int sightingsAfterKill = 0;
        for (int round = 0; round < rounds; round++) {
            if (round > 0) {
                container.start();
                owner = DropGuest.discovered(castd, "runc", container);
            }
            int ownerPid = owner.pid();
            long delayMillis = round % 5;
            Thread killer = null;
            for (int i = 0; i < perRound; i++) {
                if (i == killAt) {
                    killer = new Thread(() -> {
                        sleep(delayMillis);
                        ProcessHandle.of(ownerPid).ifPresent(ProcessHandle::destroyForcibly);
                    });
                    killer.start();
                }
                String verb = i % 2 == 0 ? "caston" : "castoff";
                String first = firstLine(requestFast(sandbox, verb, source));
                assertThat(first).as("round %d: %s #%d", round, verb, i).matches("ok|error: .+");
                replies.merge(verb + " " + (first.equals("ok") ? "ok" : first.replaceAll("pid \\d+", "pid N")), 1,
                        Integer::sum);
                for (String line : sandbox.mountinfo()) {
                    if (receiverBefore.contains(mountId(line))) continue;
                    if (!identity(line).equals(expected) || !line.split(" ")[4].equals("/mnt/b")) wrong.add(line);
                    if (i >= killAt) sightingsAfterKill++;
                }
            }
            killer.join(10_000);
            await("round " + round + ": the dead owner's share is gone from the receiver").atMost(Duration.ofSeconds(5))
                    .until(() -> sandbox.mountIds().equals(receiverBefore));
            assertThat(castdMounts()).as("round %d: castd's own mount table (staged clones)", round).isEqualTo(castdBefore);
        }
        assertThat(wrong).as("receiver mounts that are not the owner's folder at /mnt/b").isEmpty();
        assertThat(HostMounts.snapshot().changesSince(hostBefore, castd.stateDir().getParent())).as("host mount table").isEmpty();
        assertThat(firstLine(requestFast(sandbox, "showcast", ""))).isEqualTo("ok");
        assertThat(ProcessHandle.of(castd.pid()).map(ProcessHandle::isAlive)).contains(true);
        assertThat(castd.log()).doesNotContain("internal error");
        System.out.printf("InFlightFaultIT: owner SIGKILLed during a caston/castoff burst, %d rounds of %d requests (kill 0-4 ms after #%d): "
                        + "replies %s; %d sightings of the share in the receiver from the kill on, all the owner's folder; "
                        + "no stray mount in the receiver, castd or the host%n", rounds, perRound, killAt, replies,
                sightingsAfterKill);
        container.close();
    }

    /**
     * (c) PID reuse: a container registered by {@code --pidfile} and one by {@code --pid}, each
     * with an accepted share, have their init killed, and an unrelated process (its own mount
     * namespace, chrooted to a busybox tree) is started under the very same PID. castd must
     * count both containers as stopped and never set up /.syscmd in, nor inject the share
     * into, the new process; when the PID file is rewritten for a new container, castd follows.
     */
    @Test
    void aPidTakenOverByAnotherProcessIsNeverServed() throws Exception {
        UnshareContainer byFile = container("pidfile-ct");
        UnshareContainer byPid = container("pid-ct");
        Path pidFile = castd.stateDir().resolveSibling("byfile.pid");
        Files.writeString(pidFile, byFile.pid() + "\n");
        castd.castctlOk("container", "add", "byfile", "--pidfile", pidFile.toString());
        castd.castctlOk("container", "add", "bypid", "--pid", Integer.toString(byPid.pid()));
        Map<String, UnshareContainer> victims = Map.of("byfile", byFile, "bypid", byPid);
        for (var v : victims.entrySet()) {
            await(v.getKey() + " attached").atMost(Duration.ofSeconds(15)).until(() -> attached(v.getValue().pid()));
            assertThat(firstLine(sandbox.request("cast", tag(), "/srv/c " + v.getKey() + ":/mnt/c"))).isEqualTo("ok");
            // Registered by castctl above (--pidfile or --pid), not by DropGuest.registered: wrapping
            // it as a DropGuest (rather than passing its drop and replies paths around) gives it the
            // same host-side drop and reply polling, and the same requestFast, as the other guests.
            DropGuest victim = DropGuest.alreadyRegistered(castd, v.getKey(), v.getValue());
            assertThat(firstLine(requestFast(victim, "caston", sandbox.name() + ":/srv/c"))).isEqualTo("ok");
            assertThat(Files.readAllLines(Path.of("/proc/" + v.getValue().pid() + "/mountinfo")))
                    .anyMatch(l -> l.split(" ")[4].equals("/mnt/c"));
        }
        Path impostorRoot = Files.createTempDirectory("phoenix-cast-impostor");
        cleanup.add(() -> TestMounts.deleteTree(impostorRoot));
        BusyboxRootfs.build(impostorRoot.resolve("root"), 0);
        Map<String, Process> impostors = new TreeMap<>();
        Map<String, List<String>> impostorMounts = new TreeMap<>();
        int attempts = 0;
        for (var v : victims.entrySet()) {
            int pid = v.getValue().pid();
            v.getValue().kill();
            Spawned s = spawnWithPid(pid, "unshare", "--mount", "--root=" + impostorRoot.resolve("root"), "/bin/sleep", "600");
            attempts += s.attempts();
            impostors.put(v.getKey(), s.process());
            impostorMounts.put(v.getKey(), Files.readAllLines(Path.of("/proc/" + pid + "/mountinfo")));
        }
        // several resyncs: castd sees each init die, re-reads the PID file / the PID, and must refuse
        long until = System.nanoTime() + SEVERAL_RESYNCS.toNanos();
        int looks = 0;
        while (System.nanoTime() < until) {
            for (var e : impostors.entrySet()) {
                List<String> now = Files.readAllLines(Path.of("/proc/" + e.getValue().pid() + "/mountinfo"));
                assertThat(now).as("mounts of the process that took over %s's PID", e.getKey())
                        .isEqualTo(impostorMounts.get(e.getKey()));
            }
            looks++;
            sleep(50);
        }
        assertThat(stateOf("byfile")).isEqualTo("stopped");
        assertThat(stateOf("bypid")).isEqualTo("stopped");
        assertThat(castd.log()).contains("container=byfile PID " + impostors.get("byfile").pid()
                + " refused: the PID file still names the init that exited");
        assertThat(castd.log()).contains("container=bypid PID " + impostors.get("bypid").pid() + " now belongs to another process");
        for (Process p : impostors.values()) {
            assertThat(p.isAlive()).isTrue();
            p.destroyForcibly().waitFor();
        }
        // a runtime that restarts the container rewrites its PID file: castd follows it
        UnshareContainer restarted = container("pidfile-ct2");
        Files.writeString(pidFile, restarted.pid() + "\n");
        await("the restarted container gets its share back").atMost(Duration.ofSeconds(15))
                .until(() -> Files.readAllLines(Path.of("/proc/" + restarted.pid() + "/mountinfo")).stream()
                        .anyMatch(l -> l.split(" ")[4].equals("/mnt/c")));
        System.out.printf("InFlightFaultIT: PID reuse: 2 PIDs taken over (%d spawn attempts with ns_last_pid), %d looks at their mount tables "
                + "over %d s: unchanged; both containers stopped; a rewritten PID file is followed%n", attempts, looks,
                SEVERAL_RESYNCS.toSeconds());
    }

    private record Spawned(Process process, int attempts) {}

    /**
     * Starts {@code command} as PID {@code pid} (freed just before): writes pid-1 to
     * /proc/sys/kernel/ns_last_pid and spawns; another process on the machine may take the PID
     * first, so this retries (the first try mostly wins).
     */
    private static Spawned spawnWithPid(int pid, String... command) throws IOException, InterruptedException {
        for (int attempt = 1; attempt <= 500; attempt++) {
            await("PID " + pid + " free").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(2))
                    .until(() -> !Files.exists(Path.of("/proc/" + pid)));
            Sysctl.write(NS_LAST_PID, Integer.toString(pid - 1));
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (p.pid() == pid) {
                // wait until it runs sleep in its own mount namespace and root
                await("impostor set up").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() -> {
                    String exe = Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe")).toString();
                    return exe.endsWith("busybox");
                });
                return new Spawned(p, attempt);
            }
            p.destroyForcibly().waitFor();
        }
        throw new AssertionError("could not start a process as PID " + pid);
    }

    private UnshareContainer container(String hostname) throws IOException {
        UnshareContainer c = UnshareContainer.start(UnshareContainer.Rootfs.BUSYBOX, hostname);
        cleanup.add(c);
        return c;
    }

    private static boolean attached(int pid) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/mountinfo")).stream()
                .anyMatch(l -> l.split(" ")[4].equals("/.syscmd") && l.contains(" - tmpfs phoenix-cast "));
    }

    /**
     * castd's own mount table (mount point, root, type and source of each entry) as far as this
     * castd is concerned: what lies beneath its state directory (channels, the read-only lock's
     * staging) and any mount of a share's folder (a root under /srv/) wherever it is. castd runs
     * in the host's mount namespace, where other test runs mount and unmount their own things.
     */
    private Set<String> castdMounts() throws IOException {
        Set<String> out = new TreeSet<>();
        String ours = castd.stateDir().getParent().toString();
        for (String line : Files.readAllLines(Path.of("/proc/" + castd.pid() + "/mountinfo"))) {
            String[] f = line.split(" ");
            if (!f[4].startsWith(ours) && !f[3].contains("/srv/")) continue;
            int dash = line.indexOf(" - ");
            out.add(f[4] + " " + f[3] + " " + line.substring(dash + 3));
        }
        return out;
    }

    /**
     * Drops VERB.TAG through castd's host side of the guest's drop directory and polls for its
     * reply every 2 ms; the reply is deleted once read.
     */
    private String requestFast(DropGuest guest, String verb, String line) throws IOException {
        String name = verb + "." + tag();
        guest.dropOnHost(name, line + "\n");
        String text = guest.pollReply(name, REPLY_TIMEOUT, REPLY_POLL)
                .orElseThrow(() -> new AssertionError("no reply to " + name + " (" + line + ")"));
        Files.delete(guest.hostReplies().resolve(name));
        return text;
    }

    private static int countReplies(DropGuest g, List<String> names) {
        int n = 0;
        for (String name : names) if (Files.exists(g.hostReplies().resolve(name))) n++;
        return n;
    }

    private String stateOf(String name) {
        for (JsonNode c : CastdJson.status(castd).get("containers")) {
            if (c.get("name").asText().equals(name)) return c.get("state").asText();
        }
        return "absent";
    }

    /** Device and root of a mountinfo line: which folder of which file system is mounted. */
    private static String identity(String mountinfoLine) {
        String[] f = mountinfoLine.split(" ");
        return f[2] + " " + f[3];
    }

    private String tag() {
        return "f" + tags.incrementAndGet();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
