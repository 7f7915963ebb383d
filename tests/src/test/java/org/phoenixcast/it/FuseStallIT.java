package org.phoenixcast.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.phoenixcast.it.support.Latencies.millis;
import static org.phoenixcast.it.support.Latencies.percentile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.phoenixcast.it.support.CastdProcess;
import org.phoenixcast.it.support.DropGuest;
import org.phoenixcast.it.support.UnshareContainer;
import org.phoenixcast.testing.RequiresRoot;

/**
 * A guest's FUSE mount that stops answering must not stop castd from serving the others.
 * Guest fz runs fuse-overlayfs at /fz (its own /dev/fuse, its own daemon, as its root may), is
 * offered b's /data at /fz/x, then stops its daemon (SIGSTOP) and accepts: castd's lookup of
 * /fz/x blocks in the kernel. Meanwhile guest c keeps accepting and dropping another share of
 * b's; every one of its requests must be answered ok, its mount must come and go, and none may
 * wait more than a few seconds. fz gets a one-line refusal naming the stall, later requests of
 * fz are refused at once while the lookup is stuck, and once the daemon runs again (SIGCONT)
 * castd mounts fz's share, exactly once. Then the daemon is stopped during a second lookup and
 * killed: the stuck lookup fails and castd answers fz again at once.
 */
@RequiresRoot(tools = {"unshare", "nsenter", "mount", "umount", "pivot_root", "mknod", "fuse-overlayfs"})
class FuseStallIT {
    /** c's worst wait while fz's lookup is stuck: castd's 3 s namespace timeout plus a loaded machine's slack. */
    private static final Duration OTHER_GUEST_MAX_WAIT = Duration.ofSeconds(6);
    /** How long c keeps making requests while fz's daemon is stopped. */
    private static final Duration STALL = Duration.ofSeconds(8);
    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(15);

    private CastdProcess castd;
    private UnshareContainer fzContainer;
    private DropGuest fz;
    private DropGuest b;
    private DropGuest c;
    private long daemon = -1;

    @BeforeEach
    void start() throws IOException {
        castd = CastdProcess.start();
        fzContainer = UnshareContainer.start(UnshareContainer.Rootfs.HOST_TOOLS, "fz");
        fz = DropGuest.registered(castd, "fz", fzContainer);
        b = DropGuest.sandbox(castd, "b");
        c = DropGuest.sandbox(castd, "c");
    }

    @AfterEach
    void stop() throws IOException {
        if (daemon > 0) ProcessHandle.of(daemon).ifPresent(p -> {
            signal(daemon, "CONT");
            p.destroyForcibly();
        });
        try {
            if (castd != null) castd.close();
        } finally {
            if (fzContainer != null) fzContainer.close();
        }
    }

    @Test
    void aStalledFuseMountInOneGuestDoesNotStopCastdServingTheOthers() throws Exception {
        b.shOk("mkdir -p /data /data2 && echo shared > /data/f");
        assertThat(b.request("cast", "1", "/data fz:/fz/x", "/data2 fz:/fz/y", "/data c:/in")).doesNotContain("error");
        fz.shOk("set -eu\nmknod /dev/fuse c 10 229\nmkdir -p /tmp/lo /tmp/up /tmp/wk /fz\n"
                + "fuse-overlayfs -o lowerdir=/tmp/lo,upperdir=/tmp/up,workdir=/tmp/wk /fz </dev/null >/dev/null 2>&1\n");
        daemon = fuseDaemonOf(fzContainer.pid());
        assertThat(fz.mountPoints()).as("fz's FUSE mount").contains("/fz");

        List<Long> before = new ArrayList<>();
        for (int i = 0; i < 6; i++) before.add(toggleC("base" + i));

        // Phase 1: the daemon stops; fz accepts the share whose target is under /fz.
        signal(daemon, "STOP");
        long stalledAt = System.nanoTime();
        fz.dropOnHost("caston.stall", "b:/data\n");
        List<Long> during = new ArrayList<>();
        int k = 0;
        while (System.nanoTime() - stalledAt < STALL.toNanos()) during.add(toggleC("stall" + k++));
        String stallReply = fz.awaitReply("caston.stall", REPLY_TIMEOUT);
        long refusedAgainNanos = System.nanoTime();
        fz.dropOnHost("caston.again", "b:/data\n");
        String againReply = fz.awaitReply("caston.again", REPLY_TIMEOUT);
        refusedAgainNanos = System.nanoTime() - refusedAgainNanos;
        assertThat(fz.mountPoints()).as("fz's mounts while its daemon is stopped").doesNotContain("/fz/x");

        // The daemon runs again: castd's stuck lookup returns, and castd places fz's share.
        signal(daemon, "CONT");
        long resumedAt = System.nanoTime();
        await("fz's share mounted at /fz/x after SIGCONT").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
                .until(() -> fz.mountPoints().contains("/fz/x"));
        long recovered = System.nanoTime() - resumedAt;
        Thread.sleep(1500); // two more resyncs: a second mount on top would show now
        long mountsAtX = fz.mountPoints().stream().filter("/fz/x"::equals).count();
        String fileThroughShare = fz.shOk("cat /fz/x/f");

        // Phase 2: a second stall, then the daemon is killed: the lookup fails, fz is answered at once.
        signal(daemon, "STOP");
        fz.dropOnHost("caston.stall2", "b:/data2\n");
        long otherDuringSecond = toggleC("second");
        String stallReply2 = fz.awaitReply("caston.stall2", REPLY_TIMEOUT);
        ProcessHandle.of(daemon).ifPresent(ProcessHandle::destroyForcibly);
        signal(daemon, "CONT");
        long killedAt = System.nanoTime();
        String afterKill = null;
        for (int i = 0; i < 40 && (afterKill == null || afterKill.contains("still stuck")); i++) {
            fz.dropOnHost("caston.after" + i, "b:/data2\n");
            afterKill = fz.awaitReply("caston.after" + i, REPLY_TIMEOUT);
            if (afterKill.contains("still stuck")) Thread.sleep(100);
        }
        long servedAfterKill = System.nanoTime() - killedAt;
        daemon = -1;
        List<Long> after = new ArrayList<>();
        for (int i = 0; i < 4; i++) after.add(toggleC("after" + i));

        System.out.printf("FuseStallIT: c's caston/castoff before the stall: median %.0f ms, max %.0f ms (%d requests)%n",
                millis(percentile(before, 50)), millis(percentile(before, 100)), before.size());
        System.out.printf("FuseStallIT: c's caston/castoff while fz's FUSE daemon was stopped: median %.0f ms, max %.0f ms"
                + " (%d requests in %d s); first stall of the second round: %.0f ms%n", millis(percentile(during, 50)),
                millis(percentile(during, 100)), during.size(), STALL.toSeconds(), millis(otherDuringSecond));
        System.out.printf("FuseStallIT: fz refused again in %.0f ms while stuck; share mounted %.0f ms after SIGCONT;"
                + " fz answered %.0f ms after SIGKILL%n", millis(refusedAgainNanos), millis(recovered), millis(servedAfterKill));
        System.out.printf("FuseStallIT: fz's replies: %s | %s | %s | %s%n", stallReply.strip().replace('\n', ' '),
                againReply.strip().replace('\n', ' '), stallReply2.strip().replace('\n', ' '), afterKill.strip().replace('\n', ' '));

        assertThat(stallReply).as("fz's reply to the stalled request").startsWith("error: ")
                .contains("/fz/x").contains("lookup timed out (a stalled FUSE mount?)");
        assertThat(againReply).as("fz's next request while stuck").startsWith("error: ").contains("still stuck");
        assertThat(refusedAgainNanos).as("fz's next request is refused at once (ns)").isLessThan(TimeUnit.SECONDS.toNanos(2));
        assertThat(percentile(during, 100)).as("c's worst wait while fz's daemon was stopped (ns)")
                .isLessThan(OTHER_GUEST_MAX_WAIT.toNanos());
        assertThat(otherDuringSecond).as("c's wait during the second stall (ns)").isLessThan(OTHER_GUEST_MAX_WAIT.toNanos());
        assertThat(mountsAtX).as("mounts at /fz/x after the daemon resumed").isEqualTo(1);
        assertThat(fileThroughShare).isEqualTo("shared\n");
        assertThat(stallReply2).as("fz's reply to the second stalled request").contains("a stalled FUSE mount?");
        assertThat(afterKill).as("fz's reply once its daemon was killed").doesNotContain("still stuck");
        assertThat(percentile(after, 100)).as("c's wait after the daemon was killed (ns)").isLessThan(OTHER_GUEST_MAX_WAIT.toNanos());
        assertThat(castd.log()).doesNotContain("namespace thread retired");
    }

    /**
     * One caston (or castoff) of c, written on the host side of c's drop tmpfs; waits for the
     * reply, checks it is ok and that c's mount at /in came (went); nanoseconds.
     */
    private long toggleC(String tag) throws Exception {
        boolean on = !c.mountPoints().contains("/in");
        String name = (on ? "caston." : "castoff.") + tag;
        long start = System.nanoTime();
        c.dropOnHost(name, "b:/data\n");
        // REPLY_TIMEOUT counts from before the write, as the latency does; c's reply is looked for every 0.5 ms
        Optional<String> reply = c.pollReply(name, REPLY_TIMEOUT.minusNanos(System.nanoTime() - start), Duration.ofNanos(500_000));
        long took = System.nanoTime() - start;
        String text = reply.orElseThrow(() -> new AssertionError("c: no reply to " + name + " within " + REPLY_TIMEOUT));
        assertThat(text).as("c's reply to %s", name).startsWith("ok\n");
        assertThat(c.mountPoints().contains("/in")).as("c's mount at /in after %s", name).isEqualTo(on);
        return took;
    }

    /** Host PID of the fuse-overlayfs daemon running in the mount namespace of {@code initPid}. */
    private static long fuseDaemonOf(int initPid) throws IOException {
        Path ns = Files.readSymbolicLink(Path.of("/proc", Integer.toString(initPid), "ns", "mnt"));
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    if (Files.readString(p.resolve("comm")).strip().equals("fuse-overlayfs")
                            && Files.readSymbolicLink(p.resolve("ns/mnt")).equals(ns)) {
                        return Long.parseLong(p.getFileName().toString());
                    }
                } catch (IOException gone) {
                    // exited meanwhile
                }
            }
        }
        throw new AssertionError("no fuse-overlayfs process in the mount namespace of " + initPid);
    }

    private static void signal(long pid, String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
            kill.getInputStream().readAllBytes();
            kill.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
