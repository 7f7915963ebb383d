package org.phoenixcast.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.phoenixcast.it.support.CastdJson;
import org.phoenixcast.it.support.CastdJson.HistoryRow;
import org.phoenixcast.it.support.CastdProcess;
import org.phoenixcast.it.support.DropGuest;
import org.phoenixcast.testing.RequiresRoot;

/**
 * A receiver that moves or covers a share castd placed, then asks castd to take it away
 * (castoff): the share must end unmounted, or castd keeps it recorded, says "failed" once in
 * history and tries again at every pass until it can; it never forgets a share that is still
 * mounted. And a mount id the receiver frees and reuses for its own mount never makes castd
 * unmount that mount (mountinfo ids are reused lowest-free; castd also checks device and root).
 *
 * <p>Owner and receiver are castd sandboxes (root is host root, so the receiver may mount and
 * move mounts freely). castd resyncs every second.
 */
@RequiresRoot(tools = {"unshare", "nsenter", "mount", "umount", "busybox"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MovedMountRevokeIT {
    private static final Duration PROMPT = Duration.ofSeconds(10);

    private final AtomicInteger tags = new AtomicInteger();
    private CastdProcess castd;
    private DropGuest owner;
    private DropGuest receiver;

    @BeforeAll
    void start() throws IOException {
        castd = CastdProcess.start();
        owner = DropGuest.sandbox(castd, "rvo");
        receiver = DropGuest.sandbox(castd, "rvr");
        owner.shOk("mkdir -p /srv/share && echo rvo > /srv/share/MARKER");
    }

    @AfterAll
    void stop() throws IOException {
        if (castd != null) castd.close();
    }

    /** Moved under a 72-component path with a newline in a name (GuestPath refuses both), then castoff. */
    @Test
    void shareMovedToAPathGuestPathRefusesIsStillUnmounted() {
        String[] share = castOn("/deep1/t");
        receiver.shOk("d=/deepdir; i=0; while [ $i -lt 69 ]; do i=$((i+1)); d=$d/c$i; done; mkdir -p \"$d\"; "
                + "nl=$(printf 'a\\nb'); mkdir \"$d/$nl\"; mv /deep1 \"$d/$nl/s\"");
        assertThat(where(share)).as("moved share").hasValueSatisfying(p -> assertThat(p).contains("\\012"));
        castOff();
        await("moved share unmounted").atMost(PROMPT).until(() -> where(share).isEmpty());
        List<HistoryRow> rows = rows("/deep1/t");
        // castd may chase it before the castoff (a moved share is unmounted and placed again at its target)
        assertThat(rows).filteredOn(r -> r.verb().equals("unmount") && r.outcome().equals("unmounted")
                && r.reason().startsWith("moved by the guest")).hasSize(1);
        assertThat(shareMounts(share)).as("mounts of the share left in the receiver").isEmpty();
        assertThat(rows).as("history reasons name the guest's path quoted").allSatisfy(r -> assertThat(r.reason()).doesNotContain("\n"));
        assertThat(castd.log().lines().filter(l -> l.contains("rvr") && l.contains("moved by the guest"))).isNotEmpty();
        assertThat(castd.log().lines()).as("no log line begins with the guest's text after its newline")
                .noneMatch(l -> l.startsWith("b/s"));
        receiver.shOk("rm -rf /deepdir");
    }

    /** Moved, then covered by the guest's tmpfs where it moved: castd cannot reach it, so it keeps trying. */
    @Test
    void shareMovedAndCoveredIsRetriedUntilUnmounted() throws Exception {
        String[] share = castOn("/cov1/t");
        receiver.shOk("mkdir -p /away && mv /cov1 /away/s && mount -t tmpfs cover /away/s/t");
        castOff();
        await("'failed' unmount recorded").atMost(PROMPT).until(() -> !failed("/cov1/t").isEmpty());
        Thread.sleep(3000); // three passes
        assertThat(where(share)).as("still mounted under the guest's tmpfs").isPresent();
        assertThat(failed("/cov1/t")).as("'failed' recorded once, not at every pass").hasSize(1);
        receiver.shOk("umount /away/s/t");
        long t0 = System.nanoTime();
        await("share unmounted once uncovered").atMost(PROMPT).pollInterval(Duration.ofMillis(20)).until(() -> where(share).isEmpty());
        System.out.printf("MovedMountRevokeIT: moved and covered share: 1 'failed' row over 3 s of passes; unmounted %.0f ms after "
                + "the guest uncovered it%n", (System.nanoTime() - t0) / 1e6);
        assertThat(rows("/cov1/t")).filteredOn(r -> r.outcome().equals("unmounted") && r.reason().startsWith("moved by the guest")).hasSize(1);
        await("no mount of the share left").atMost(PROMPT).until(() -> shareMounts(share).isEmpty());
        receiver.shOk("rm -rf /away");
    }

    /** Covered by the guest's tmpfs at its target (not moved): the same. */
    @Test
    void shareCoveredAtItsTargetIsRetriedUntilUnmounted() {
        String[] share = castOn("/cov2/t");
        receiver.shOk("mount -t tmpfs cover /cov2/t");
        castOff();
        await("'failed' unmount recorded").atMost(PROMPT).until(() -> !failed("/cov2/t").isEmpty());
        assertThat(where(share)).isPresent();
        receiver.shOk("umount /cov2/t");
        await("share unmounted once uncovered").atMost(PROMPT).until(() -> where(share).isEmpty());
        assertThat(rows("/cov2/t")).filteredOn(r -> r.outcome().equals("unmounted")).hasSize(1);
        assertThat(shareMounts(share)).isEmpty();
    }

    /**
     * The guest unmounts the share and at once mounts a tmpfs of its own elsewhere, which gets the
     * freed mount id (ids are kernel-wide; other processes may take it first, so up to 5 tries).
     * castd must treat the share as gone, never unmount the guest's tmpfs.
     */
    @Test
    void reusedMountIdIsNeverChased() throws Exception {
        boolean reused = false;
        for (int attempt = 0; attempt < 5 && !reused; attempt++) {
            String[] share = castOn("/reuse/t");
            receiver.shOk("umount /reuse/t && mkdir -p /mine && mount -t tmpfs mine /mine");
            Optional<String> mine = receiver.mountinfo().stream().filter(l -> l.split(" ")[4].equals("/mine")).findFirst();
            assertThat(mine).isPresent();
            reused = mine.get().split(" ")[0].equals(share[0]);
            if (!reused) {
                receiver.shOk("umount /mine");
                castOff();
                await().atMost(PROMPT).until(() -> receiver.mountinfo().stream().noneMatch(l -> l.split(" ")[4].equals("/reuse/t")));
            }
        }
        assertThat(reused).as("the guest's tmpfs got the share's freed mount id").isTrue();
        castOff();
        Thread.sleep(3000); // three passes
        assertThat(receiver.mountinfo()).as("the guest's own tmpfs").anyMatch(l -> l.split(" ")[4].equals("/mine"));
        assertThat(rows("/reuse/t")).filteredOn(r -> r.outcome().equals("vanished")).isNotEmpty();
        receiver.shOk("umount /mine");
    }

    /** cast to TARGET and caston; returns the new mount's mountinfo {id, device, root}. */
    private String[] castOn(String target) {
        assertThat(owner.request("cast", tag(), "/srv/share rvr:" + target)).startsWith("ok");
        Set<String> before = receiver.mountinfo().stream().map(l -> l.split(" ")[0]).collect(Collectors.toSet());
        assertThat(receiver.request("caston", tag(), "rvo:/srv/share")).startsWith("ok");
        assertThat(receiver.shOk("cat " + target + "/MARKER").strip()).isEqualTo("rvo");
        List<String[]> added = receiver.mountinfo().stream().map(l -> l.split(" "))
                .filter(f -> !before.contains(f[0])).toList();
        assertThat(added).hasSize(1);
        return new String[] {added.get(0)[0], added.get(0)[2], added.get(0)[3]};
    }

    private void castOff() {
        receiver.request("castoff", tag(), "rvo:/srv/share");
        assertThat(owner.request("ucast", tag(), "/srv/share rvr")).startsWith("ok");
    }

    /** Where the receiver's mountinfo shows the share's mount (id, device and root), escaped as there. */
    private Optional<String> where(String[] share) {
        return receiver.mountinfo().stream().map(l -> l.split(" "))
                .filter(f -> f[0].equals(share[0]) && f[2].equals(share[1]) && f[3].equals(share[2]))
                .map(f -> f[4]).findFirst();
    }

    /** The receiver's mounts of the owner's folder (its device and root), whatever their id. */
    private List<String> shareMounts(String[] share) {
        return receiver.mountinfo().stream().filter(l -> {
            String[] f = l.split(" ");
            return f[2].equals(share[1]) && f[3].equals(share[2]);
        }).toList();
    }

    private List<HistoryRow> rows(String target) {
        return CastdJson.history(castd).stream()
                .filter(r -> r.container().equals("rvr") && r.arguments().endsWith(" " + target)).toList();
    }

    private List<HistoryRow> failed(String target) {
        return rows(target).stream().filter(r -> r.verb().equals("unmount") && r.outcome().equals("failed")).toList();
    }

    private String tag() {
        return "v" + tags.incrementAndGet();
    }
}
