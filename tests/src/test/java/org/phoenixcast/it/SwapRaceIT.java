package org.phoenixcast.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.phoenixcast.it.support.DropGuest.mountId;
import static org.phoenixcast.it.support.HostDirs.names;
import static org.phoenixcast.it.support.Replies.firstLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.phoenixcast.it.runtimes.RuncFixture;
import org.phoenixcast.it.support.CastdProcess;
import org.phoenixcast.it.support.DropGuest;
import org.phoenixcast.it.support.HostMounts;
import org.phoenixcast.it.support.RuntimeContainer;
import org.phoenixcast.testing.RequiresRoot;

/**
 * Guests racing castd end to end: a loop inside a guest swaps the parent of a share's target
 * (in the receiver) or of its source (in the owner) between a directory and a symlink to
 * {@code /} (or {@code /proc/1/root}) while the receiver asks for the share again and again
 * ({@code caston}/{@code castoff} cycles).
 *
 * <p>What must hold for every request, however the race falls: one reply, {@code ok} or a clear
 * {@code error: …}; the host's mount table never changes (sampled while the race runs, compared
 * after it), the host's {@code /} and {@code /etc} gain no entries, the owner's mount table does
 * not change, and every mount the receiver ever holds is the owner's real folder (the same
 * device and root as the share mounted without a race, where a marker file is read) at the path
 * asked for, never the host's root or another folder.
 *
 * <p>Guests: a castd sandbox and a user-namespaced runc container (discovered), each once as
 * owner and once as receiver. The requests are written into the receiver's drop directory
 * through castd's host side of it (the same tmpfs as the guest's {@code /.syscmd}: a request is
 * the receiver's by where it appears, whoever wrote it), so hundreds of them fit in seconds.
 *
 * <p>CI runs {@value #CI_REQUESTS} requests per case; the full run, thousands:
 * {@code mvn -o -pl tests -am verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false
 * -Dit.test=SwapRaceIT -Dfailsafe.failIfNoSpecifiedTests=false -Dphoenix.full=true}
 */
@RequiresRoot(tools = {"runc", "nsenter", "unshare", "busybox"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SwapRaceIT {
    private static final boolean FULL = Boolean.getBoolean("phoenix.full");
    static final int CI_REQUESTS = 200;
    private static final int REQUESTS = FULL ? 4000 : CI_REQUESTS;
    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration REPLY_POLL = Duration.ofMillis(2);
    private static final Path HOST_ROOT = Path.of("/");
    private static final Path HOST_ETC = Path.of("/etc");

    private final AtomicInteger tags = new AtomicInteger();
    private RuncFixture runc;
    private CastdProcess castd;
    private DropGuest sandbox;
    private DropGuest runcGuest;

    @BeforeAll
    void startCastdAndGuests() throws IOException {
        runc = RuncFixture.withUserNamespace();
        RuntimeContainer container = runc.create("race" + ProcessHandle.current().pid() % 10000);
        container.start();
        castd = CastdProcess.start(runc.castdSettings(), null);
        runcGuest = DropGuest.discovered(castd, "runc", container);
        sandbox = DropGuest.sandbox(castd, "sbrace");
        for (DropGuest g : List.of(sandbox, runcGuest)) {
            // the owner's real folders, with a marker naming their owner
            g.shOk("mkdir -p /srv/share /real/src && echo " + g.name() + " > /srv/share/MARKER && echo "
                    + g.name() + " > /real/src/MARKER");
        }
    }

    @AfterAll
    void stopEverything() throws IOException {
        try {
            if (castd != null) castd.close();
        } finally {
            if (runc != null) runc.close();
        }
    }

    Stream<Arguments> pairs() {
        return Stream.of(Arguments.of(sandbox, runcGuest), Arguments.of(runcGuest, sandbox));
    }

    /** The receiver flips /race between a directory (holding t) and a symlink to /; the share's target is /race/t. */
    @ParameterizedTest(name = "owner {0}, receiver {1}")
    @MethodSource("pairs")
    void targetParentSwappedForASymlinkToRootNeverRedirectsTheMount(DropGuest owner, DropGuest receiver) throws Exception {
        String source = owner.name() + ":/srv/share";
        assertThat(owner.request("cast", tag(), "/srv/share " + receiver.name() + ":/race/t")).startsWith("ok");
        // the calm mount: which folder the receiver must get (device and root), and its marker
        Set<Identity> expected = Set.of(calmMount(owner, receiver, source, "/race/t"));
        // rmdir cannot remove /race while a share is mounted on /race/t (EBUSY), nor a /race that
        // castd created (host root's: a user-namespaced root may not write in it): the guest then
        // renames /race away (mv -T) and goes on swapping. A share mounted there moves with it:
        // castd must still find and unmount it at castoff.
        String loop = "n=0\nk=0\nwhile [ ! -e /swap.stop ]; do\n"
                + "  mkdir -p /race/t 2>/dev/null\n"
                + "  if ! rmdir /race/t /race 2>/dev/null; then k=$((k+1)); mv -T /race /old$k 2>/dev/null; fi\n"
                + "  if [ ! -e /race ] && [ ! -L /race ]; then ln -s / /race; n=$((n+1)); fi\n"
                + "  rm -f /race 2>/dev/null\n"
                + "  rmdir /old$k/t /old$k 2>/dev/null\n"
                + "done\n";
        Figures f = race(owner, receiver, receiver, loop, source, "/race/t|/old[0-9]+/t", expected);
        System.out.printf("SwapRaceIT: swap race (target parent -> /): owner %s, receiver %s: %d requests, %d ok, %d refused, "
                        + "%d mounted by caston, %d sightings of a mount, all of the owner's folder at /race/t (or where the guest "
                        + "renamed it), %d swaps, %.1f s; %d host mount table "
                        + "samples unchanged%n",
                owner.kind(), receiver.kind(), f.requests, f.ok, f.refused, f.mounted, f.mountsSeen, f.swaps,
                f.seconds, f.samples);
        assertThat(f.swaps).as("the guest's loop swapped while castd worked").isPositive();
        assertThat(owner.request("ucast", tag(), "/srv/share " + receiver.name())).startsWith("ok");
    }

    /**
     * The owner flips /srcp between its real folder (renamed into place and out again) and a
     * symlink to / or to /proc/1/root; the share's source is /srcp/src. There is no /src in
     * the owner, so a source resolved through either symlink does not exist or is a magic link.
     */
    @ParameterizedTest(name = "owner {0}, receiver {1}")
    @MethodSource("pairs")
    void sourceParentSwappedForASymlinkToRootNeverMountsAnotherFolder(DropGuest owner, DropGuest receiver) throws Exception {
        String source = owner.name() + ":/srcp/src";
        owner.shOk("rm -rf /srcp /src; mv -T /real /srcp");
        assertThat(owner.request("cast", tag(), "/srcp/src " + receiver.name() + ":/in")).startsWith("ok");
        Identity calm = calmMount(owner, receiver, source, "/in");
        owner.shOk("mv -T /srcp /real");
        // mountinfo shows a mount's root by the folder's current name: the real folder is at
        // /srcp/src or /real/src depending on where the owner's loop is
        Set<Identity> expected = Set.of(calm, new Identity(calm.device(), calm.root().replace("/srcp/src", "/real/src")));
        String loop = "n=0\nwhile [ ! -e /swap.stop ]; do\n"
                + "  mv -T /real /srcp 2>/dev/null; mv -T /srcp /real 2>/dev/null\n"
                + "  ln -s / /srcp 2>/dev/null; rm -f /srcp\n"
                + "  ln -s /proc/1/root /srcp 2>/dev/null; rm -f /srcp\n"
                + "  n=$((n+2))\n"
                + "done\n";
        Figures f = race(owner, receiver, owner, loop, source, "/in", expected);
        System.out.printf("SwapRaceIT: swap race (source parent -> / and /proc/1/root): owner %s, receiver %s: %d requests, %d ok, "
                        + "%d refused, %d mounted by caston, %d sightings of a mount, all of the owner's folder at /in, %d swaps, %.1f s; %d host "
                        + "mount table samples unchanged%n",
                owner.kind(), receiver.kind(), f.requests, f.ok, f.refused, f.mounted, f.mountsSeen, f.swaps,
                f.seconds, f.samples);
        assertThat(f.swaps).isPositive();
        assertThat(owner.request("ucast", tag(), "/srcp/src " + receiver.name())).startsWith("ok");
    }

    /** Device and root of a mount as mountinfo shows them: which folder of which file system it is. */
    private record Identity(String device, String root) {
        static Identity of(String mountinfoLine) {
            String[] f = mountinfoLine.split(" ");
            return new Identity(f[2], f[3]);
        }
    }

    private static final class Figures {
        int requests;
        int ok;
        int refused;
        int mountsSeen;
        int swaps;
        int samples;
        /** caston replies "ok": the share was mounted (the target race can still move it away). */
        int mounted;
        double seconds;
    }

    /** caston without a race: the mount must carry the owner's marker; returns its identity; castoff again. */
    private Identity calmMount(DropGuest owner, DropGuest receiver, String source, String target) {
        Set<Integer> before = receiver.mountIds();
        assertThat(firstLine(receiver.request("caston", tag(), source))).isEqualTo("ok");
        assertThat(receiver.shOk("cat " + target + "/MARKER").strip()).isEqualTo(owner.name());
        List<String> added = receiver.mountinfo().stream().filter(l -> !before.contains(mountId(l))).toList();
        assertThat(added).hasSize(1);
        assertThat(added.get(0).split(" ")[4]).isEqualTo(target);
        assertThat(firstLine(receiver.request("castoff", tag(), source))).isEqualTo("ok");
        assertThat(receiver.mountIds()).isEqualTo(before);
        return Identity.of(added.get(0));
    }

    /**
     * Runs {@code loop} in {@code swapper} while the receiver makes {@link #REQUESTS} requests
     * (caston, castoff, …) for {@code source}; checks every reply and every mount as it goes:
     * a new mount in the receiver must be the owner's folder ({@code expected}) at a mount point
     * matching {@code mountPoints}.
     */
    private Figures race(DropGuest owner, DropGuest receiver, DropGuest swapper, String loop, String source,
                         String mountPoints, Set<Identity> expected) throws Exception {
        Set<Integer> receiverBefore = receiver.mountIds();
        Set<Integer> ownerBefore = owner.mountIds();
        HostMounts hostBefore = HostMounts.snapshot();
        Set<String> rootBefore = names(HOST_ROOT);
        Set<String> etcBefore = names(HOST_ETC);
        swapper.shOk("rm -f /swap.stop /swap.count; (" + loop.replace("done\n", "done\necho $n > /swap.count\n")
                + ") </dev/null >/dev/null 2>&1 &");
        Figures f = new Figures();
        ConcurrentLinkedQueue<String> hostChanges = new ConcurrentLinkedQueue<>();
        AtomicBoolean sampling = new AtomicBoolean(true);
        AtomicInteger samples = new AtomicInteger();
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                hostChanges.addAll(HostMounts.snapshot().changesSince(hostBefore, castd.stateDir().getParent()));
                samples.incrementAndGet();
                sleep(20);
            }
        }, "host-mountinfo-sampler");
        sampler.start();
        Set<String> wrongMounts = new TreeSet<>();
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < REQUESTS; i++) {
                String verb = i % 2 == 0 ? "caston" : "castoff";
                String reply = requestFast(receiver, verb, source);
                f.requests++;
                String first = firstLine(reply);
                if (first.equals("ok")) {
                    f.ok++;
                    if (verb.equals("caston")) f.mounted++;
                } else {
                    assertThat(first).as("reply to %s %s #%d", verb, source, i).startsWith("error: ").hasSizeGreaterThan(8);
                    f.refused++;
                }
                for (String line : receiver.mountinfo()) {
                    if (receiverBefore.contains(mountId(line))) continue;
                    f.mountsSeen++;
                    if (!expected.contains(Identity.of(line)) || !line.split(" ")[4].matches(mountPoints)) wrongMounts.add(line);
                }
            }
        } finally {
            swapper.shOk("touch /swap.stop");
            sampling.set(false);
            sampler.join(10_000);
        }
        org.awaitility.Awaitility.await("swap loop ended").atMost(Duration.ofSeconds(10))
                .until(() -> swapper.sh("cat /swap.count").succeeded());
        f.swaps = Integer.parseInt(swapper.shOk("cat /swap.count").strip());
        f.samples = samples.get();
        f.seconds = (System.nanoTime() - t0) / 1e9;
        assertThat(wrongMounts).as("mounts in the receiver that are not the owner's folder at " + mountPoints).isEmpty();
        assertThat(hostChanges).as("host mount table while racing").isEmpty();
        assertThat(HostMounts.snapshot().changesSince(hostBefore, castd.stateDir().getParent())).isEmpty();
        assertThat(names(HOST_ROOT)).as("host /").isEqualTo(rootBefore);
        assertThat(names(HOST_ETC)).as("host /etc").isEqualTo(etcBefore);
        assertThat(owner.mountIds()).as("owner's mount table").isEqualTo(ownerBefore);
        // The last request was a castoff: the receiver is as it was before the race.
        swapper.sh("rm -f /swap.stop /swap.count");
        List<String> left = receiver.mountinfo().stream().filter(l -> !receiverBefore.contains(mountId(l))).toList();
        assertThat(left).as("receiver's mounts after the last castoff; castd's log:\n%s", castd.log().lines()
                .filter(l -> l.contains(receiver.name()) && l.matches(".*(moved|gone|unmount|cannot).*"))
                .reduce("", (a, b) -> a + b + "\n")).isEmpty();
        return f;
    }

    /**
     * Writes VERB.TAG into the receiver's drop directory through castd's host side (as the guest
     * command does: complete under a dot-name, then renamed) and polls for the reply every 2 ms.
     */
    private String requestFast(DropGuest receiver, String verb, String line) throws IOException {
        String name = verb + "." + tag();
        receiver.dropOnHost(name, line + "\n");
        String text = receiver.pollReply(name, REPLY_TIMEOUT, REPLY_POLL).orElseThrow(() -> new AssertionError(
                "no reply to " + name + " (" + line + ") within " + REPLY_TIMEOUT + "\ncastd log:\n" + tail(castd.log())));
        Files.delete(receiver.hostReplies().resolve(name));
        return text;
    }

    private static String tail(String log) {
        return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
    }

    private String tag() {
        return "r" + tags.incrementAndGet();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
