package org.phoenixcast.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.phoenixcast.it.support.HostDirs.names;
import static org.phoenixcast.it.support.Replies.firstLine;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.phoenixcast.it.runtimes.RuncFixture;
import org.phoenixcast.it.support.CastdJson;
import org.phoenixcast.it.support.CastdJson.HistoryRow;
import org.phoenixcast.it.support.CastdProcess;
import org.phoenixcast.it.support.DropGuest;
import org.phoenixcast.it.support.ExecResult;
import org.phoenixcast.it.support.HostMounts;
import org.phoenixcast.it.support.RuntimeContainer;
import org.phoenixcast.it.support.SecondsByAttacker;
import org.phoenixcast.it.support.UnshareContainer;
import org.phoenixcast.testing.RequiresRoot;

/**
 * Hostile guests abusing their channel and the shares they receive, against a real castd: a
 * request file written in several steps, a drop directory renamed and replaced, a share
 * unmounted, a setuid binary and chmods in a read-write share, cgroup file systems offered as
 * sources, a reply directory covered by the guest's own tmpfs, the same request thousands of
 * times, and castd's own file descriptors. Each asserts the guest gets a clear reply (or castd
 * repairs what the guest broke), the host's mount table and files are unchanged, and the peer
 * keeps being served.
 *
 * <p>Attackers: a castd sandbox (no user namespace, root is host root) and a runc container with
 * uid maps (root is host uid 100000), discovered by castd. The peer, owner of the shares the
 * attackers receive, is a busybox unshare container.
 *
 * <p>{@code -Dphoenix.full=true} repeats the same request 5,000 times instead of 200.
 */
@RequiresRoot(tools = {"unshare", "nsenter", "mount", "umount", "pivot_root", "busybox", "runc", "gcc", "setpriv"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(SecondsByAttacker.class) // tests and seconds per attacker kind, printed at the end
class ShareAbuseIT {
    /** castd resyncs every second; a repair well within this is "prompt". */
    private static final Duration PROMPT = Duration.ofSeconds(5);
    private static final Path HOST_ETC = Path.of("/etc");
    private static final boolean FULL = Boolean.getBoolean("phoenix.full");
    private static final int REPEATS = FULL ? 5000 : 100;
    /**
     * Prints its effective uid; {@code as UID PROG ARGS} drops to UID and runs PROG; {@code lease
     * FILE SECONDS} holds a write lease on FILE (ignoring the SIGIO of its break) for SECONDS;
     * {@code cgroupns PROG ARGS} runs PROG in a new cgroup namespace; {@code swap PATH OLD NEW}
     * unmounts PATH (lazily), renames it to OLD and renames NEW (or with {@code @TARGET}, a
     * symlink to TARGET) into its place, within microseconds: castd re-attaches a vanished
     * channel within milliseconds, so a guest doing this with umount and mv races castd.
     */
    private static final String PROBE_C = """
            #define _GNU_SOURCE
            #include <fcntl.h>
            #include <grp.h>
            #include <sched.h>
            #include <signal.h>
            #include <sys/mount.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            #include <unistd.h>
            int main(int argc, char **argv) {
                if (argc > 3 && strcmp(argv[1], "as") == 0) {
                    int id = atoi(argv[2]);
                    if (setgroups(0, NULL) || setgid(id) || setuid(id)) { perror("drop"); return 2; }
                    execv(argv[3], argv + 3);
                    perror("execv");
                    return 3;
                }
                if (argc > 4 && strcmp(argv[1], "swap") == 0) {
                    if (umount2(argv[2], MNT_DETACH)) { perror("umount2"); return 7; }
                    if (rename(argv[2], argv[3])) { perror("rename away"); return 8; }
                    if (argv[4][0] == '@' ? symlink(argv[4] + 1, argv[2]) : rename(argv[4], argv[2])) {
                        perror("replace");
                        return 9;
                    }
                    return 0;
                }
                if (argc > 2 && strcmp(argv[1], "cgroupns") == 0) {
                    if (unshare(CLONE_NEWCGROUP)) { perror("unshare"); return 6; }
                    execv(argv[2], argv + 2);
                    perror("execv");
                    return 3;
                }
                if (argc > 3 && strcmp(argv[1], "lease") == 0) {
                    int fd = open(argv[2], O_RDONLY);
                    if (fd < 0) { perror("open"); return 4; }
                    signal(SIGIO, SIG_IGN);
                    if (fcntl(fd, F_SETLEASE, F_WRLCK)) { perror("F_SETLEASE"); return 5; }
                    printf("leased\\n");
                    fflush(stdout);
                    sleep(atoi(argv[3]));
                    return 0;
                }
                printf("euid=%d uid=%d\\n", (int) geteuid(), (int) getuid());
                return 0;
            }
            """;

    private final AtomicInteger tags = new AtomicInteger();
    private CastdProcess castd;
    private RuncFixture runcFixture;
    private UnshareContainer peerContainer;
    private DropGuest sandbox;
    private DropGuest runc;
    private DropGuest peer;
    private Path probeDir;

    @BeforeAll
    void startCastdAndGuests() throws IOException, InterruptedException {
        probeDir = Files.createTempDirectory("phoenix-cast-probe");
        Files.setPosixFilePermissions(probeDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(probeDir.resolve("probe.c"), PROBE_C);
        run("gcc", "-static", "-O2", "-o", probeDir.resolve("probe").toString(), probeDir.resolve("probe.c").toString());
        runcFixture = RuncFixture.withUserNamespace();
        RuntimeContainer runcContainer = runcFixture.create("ra1");
        runcContainer.start();
        castd = CastdProcess.start(runcFixture.castdSettings(), null);
        peerContainer = UnshareContainer.start(UnshareContainer.Rootfs.BUSYBOX, "peer");
        sandbox = DropGuest.sandbox(castd, "sa1");
        peer = DropGuest.registered(castd, "peer", peerContainer);
        runc = DropGuest.discovered(castd, "runc", runcContainer);
    }

    @AfterAll
    void stopEverything() throws IOException {
        try {
            if (castd != null) castd.close();
        } finally {
            if (peerContainer != null) peerContainer.close();
            if (runcFixture != null) runcFixture.close();
            if (probeDir != null) org.phoenixcast.testing.TestMounts.deleteTree(probeDir);
        }
    }

    Stream<DropGuest> attackers() {
        return Stream.of(sandbox, runc);
    }

    private String tag() {
        return "s" + tags.incrementAndGet();
    }

    // ---- a request file still being written ----------------------------------------------------

    /**
     * The guest opens /.syscmd/caston.X, writes half a request and keeps the file open well past
     * castd's rescan (1 s), then finishes it and closes: castd acts once, on the whole request.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("attackers")
    void actsOnlyOnTheCompleteContentOfARequestFileStillBeingWritten(DropGuest attacker) throws Exception {
        String n = tag();
        String file = "caston.h" + n;
        String half = "peer:/srv/ha";
        String whole = "peer:/srv/half" + n;
        attacker.clearReply(file);
        HostMounts host = HostMounts.snapshot();
        CompletableFuture<ExecResult> writer = CompletableFuture.supplyAsync(() -> attacker.sh("set -eu\n"
                + "exec 3>/.syscmd/" + file + "\n"
                + "printf '%s' '" + half + "' >&3\n"
                + "while [ ! -e /tmp/go" + n + " ]; do sleep 0.1; done\n"
                + "printf '%s\\n' 'lf" + n + "' >&3\n"
                + "exec 3>&-\n"));
        Path dropped = attacker.hostDrop().resolve(file);
        await("half a request written").atMost(PROMPT).pollInterval(Duration.ofMillis(20))
                .until(() -> Files.exists(dropped) && Files.size(dropped) == half.length());

        await("no reply while the file is open for writing, past two rescans").during(Duration.ofMillis(2500))
                .atMost(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(50))
                .until(() -> !Files.exists(attacker.hostReplies().resolve(file)) && Files.exists(dropped));
        attacker.shOk("touch /tmp/go" + n);
        assertThat(writer.get(30, TimeUnit.SECONDS).succeeded()).as("guest writer").isTrue();
        String reply = attacker.awaitReply(file, PROMPT);

        assertThat(reply).startsWith("ok\naccepted " + whole + ";");
        await("request file taken").atMost(PROMPT).until(() -> !Files.exists(dropped));
        List<HistoryRow> rows = history(attacker).stream().filter(r -> r.arguments().contains("/srv/ha")).toList();
        assertThat(rows).as("exactly one history row, for the whole request").hasSize(1);
        assertThat(rows.get(0).verb()).isEqualTo("caston");
        assertThat(rows.get(0).arguments()).isEqualTo(whole);
        assertThat(HostMounts.snapshot().changesSince(host, castd.stateDir().getParent())).isEmpty();
        assertThat(firstLine(attacker.request("castoff", tag(), whole))).isEqualTo("ok");
        attacker.shOk("rm -f /tmp/go" + n);
        assertPeerServed();
    }

    // ---- a renamed or replaced drop directory --------------------------------------------------

    Stream<Arguments> renamedChannels() {
        List<String> attacks = List.of(
                "mkdir /fake{n} && echo mine > /fake{n}/marker && {probe} swap /.syscmd /old-drop{n} /fake{n}",
                "mkdir -p /fake{n}/replies && echo mine > /fake{n}/marker && {probe} swap /syscmd /old-syscmd{n} /fake{n}",
                "mkdir /moved-drop{n} && mount --move /.syscmd /moved-drop{n}");
        return attackers().flatMap(g -> attacks.stream().map(a -> Arguments.of(g, a)));
    }

    /**
     * The guest moves its channel away and puts its own directory in its place: castd mounts its
     * tmpfs over the guest's directory again within a few seconds, serves the next request there,
     * and never writes into the guest's own directory (seen on the host beneath the mounts) nor
     * into the renamed original.
     */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("renamedChannels")
    void reattachesOverADropDirectoryTheGuestRenamedAndReplaced(DropGuest attacker, String attackPattern)
            throws IOException {
        String n = tag();
        String attack = attackPattern.replace("{n}", n).replace("{probe}", giveProbe(attacker));
        HostMounts host = HostMounts.snapshot();
        Set<String> etc = names(HOST_ETC);
        String fake = attack.contains(" /.syscmd ") ? ".syscmd" : "syscmd";
        boolean swapped = attack.contains(" swap ");
        // What the guest's directory beneath castd's tmpfs must hold afterwards (seen from the host).
        Set<String> expected = !swapped ? names(attacker.hostRoot().resolve(fake))
                : fake.equals("syscmd") ? Set.of("marker", "replies") : Set.of("marker");
        attacker.shOk(attack);
        Instant attacked = Instant.now();

        await("castd re-attaches").atMost(PROMPT).pollInterval(Duration.ofMillis(20)).until(attacker::isAttached);
        Duration reattached = Duration.between(attacked, Instant.now());
        String t = tag();
        String reply = attacker.request("showcast", t);

        System.out.printf("ShareAbuseIT: %s re-attached %.3f s after '%s'%n", attacker, reattached.toMillis() / 1000.0,
                attack);
        assertThat(reattached).as("re-attached within a few seconds").isLessThan(PROMPT);
        assertThat(firstLine(reply)).isEqualTo("ok");
        assertThat(attacker.sh("cat /syscmd/replies/showcast." + t).stdout()).isEqualTo(reply);
        Path fakeOnHost = attacker.hostRoot().resolve(fake);
        assertThat(names(fakeOnHost)).as("the guest's own directory beneath castd's tmpfs").isEqualTo(expected);
        if (swapped && fake.equals("syscmd")) assertThat(names(fakeOnHost.resolve("replies"))).as("its replies/").isEmpty();
        if (swapped) assertThat(Files.readString(fakeOnHost.resolve("marker"))).isEqualTo("mine\n");
        for (String old : List.of("old-drop" + n, "old-syscmd" + n)) {
            Path p = attacker.hostRoot().resolve(old);
            if (Files.isDirectory(p)) assertThat(names(p)).as("renamed original " + old).isEmpty();
        }
        assertThat(HostMounts.snapshot().changesSince(host, castd.stateDir().getParent())).as("host mounts").isEmpty();
        assertThat(names(HOST_ETC)).isEqualTo(etc);
        assertPeerServed();
        // Leave castd's tmpfs over the guest's marker directory; only the moved-away mount goes.
        attacker.sh("umount -l /moved-drop" + n + " 2>/dev/null; rm -rf /old-drop" + n + " /old-syscmd" + n
                + "; rmdir /moved-drop" + n + " /fake" + n + " 2>/dev/null; true");
    }

    /** A symlink where /.syscmd was: castd never mounts through it, and attaches again once it is gone. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("attackers")
    void neverAttachesThroughASymlinkPutInPlaceOfTheDropDirectory(DropGuest attacker) throws IOException {
        giveProbe(attacker);
        HostMounts host = HostMounts.snapshot();
        Set<String> etc = names(HOST_ETC);
        Set<String> guestEtc = names(attacker.hostRoot().resolve("etc"));
        attacker.shOk(giveProbe(attacker) + " swap /.syscmd /old-drop @/etc");

        await("nothing attached through the symlink for two resyncs").during(Duration.ofMillis(2500))
                .atMost(Duration.ofSeconds(4)).pollInterval(Duration.ofMillis(50)).until(() -> !attacker.isAttached());

        assertThat(attacker.mountPoints()).doesNotContain("/etc");
        assertThat(names(attacker.hostRoot().resolve("etc"))).as("guest /etc").isEqualTo(guestEtc);
        assertThat(names(HOST_ETC)).as("host /etc").isEqualTo(etc);
        assertThat(HostMounts.snapshot().changesSince(host, castd.stateDir().getParent())).isEmpty();
        assertPeerServed();
        attacker.shOk("rm /.syscmd && rm -rf /old-drop");
        await("castd re-attaches once the symlink is gone").atMost(PROMPT).until(attacker::isAttached);
        assertThat(firstLine(attacker.request("showcast", tag()))).isEqualTo("ok");
    }

    // ---- an injected share unmounted by its receiver -------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("attackers")
    void mountsAShareAgainAfterTheReceiverUnmountsIt(DropGuest attacker) throws IOException {
        String n = tag();
        String target = "/mnt/u" + n;
        String source = "peer:/srv/u" + n;
        offerAndAccept(attacker, "/srv/u" + n, target);
        HostMounts host = HostMounts.snapshot();
        List<String> attackerMounts = attacker.mountPoints();
        List<String> peerMounts = peer.mountPoints();

        attacker.shOk("umount " + target);
        await("castd mounts it again on its own").atMost(PROMPT).pollInterval(Duration.ofMillis(50))
                .until(() -> attacker.mountPoints().contains(target));
        attacker.shOk("umount " + target);
        String again = attacker.request("caston", tag(), source);
        await("mounted after caston again").atMost(PROMPT).until(() -> attacker.mountPoints().contains(target));

        assertThat(firstLine(again)).isEqualTo("ok");
        assertThat(history(attacker)).as("'vanished' recorded").filteredOn(r -> r.outcome().equals("vanished")
                && r.arguments().endsWith(" " + target)).hasSizeGreaterThanOrEqualTo(2);
        assertThat(attacker.sh("cat " + target + "/f").stdout()).isEqualTo("data\n");
        assertThat(attacker.mountPoints()).as("one mount, nothing stacked").isEqualTo(attackerMounts);
        assertThat(peer.mountPoints()).isEqualTo(peerMounts);
        assertThat(HostMounts.snapshot().changesSince(host, castd.stateDir().getParent())).isEmpty();
        assertPeerServed();
        withdraw(attacker, "/srv/u" + n, source);
    }

    // ---- setuid binaries and chmods in a read-write share ---------------------------------------

    /**
     * The receiver's root puts a setuid-root copy of a probe into a read-write share and runs it
     * as uid 1000: it stays uid 1000 (the share is nosuid). The same file on the host's own file
     * system does gain root, so the probe would show a privilege gain if there were one.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("attackers")
    void aSetuidRootBinaryInAReadWriteShareGivesNoPrivilege(DropGuest attacker) throws Exception {
        Path control = probeDir.resolve("suid-control");
        Files.copy(probeDir.resolve("probe"), control, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(control, PosixFilePermissions.fromString("rwxr-xr-x"));
        run("chmod", "4755", control.toString());
        assertThat(run(probeDir.resolve("probe").toString(), "as", "1000", control.toString()))
                .as("control: the setuid probe on a suid-honouring host file system").isEqualTo("euid=0 uid=1000\n");

        String n = tag();
        String dir = "/mnt/suid" + n;
        Path hostShare = peerContainer.root().resolve("srv/suid" + n);
        Files.createDirectories(hostShare);
        Files.copy(probeDir.resolve("probe"), hostShare.resolve("probe"));
        Files.setPosixFilePermissions(hostShare.resolve("probe"), PosixFilePermissions.fromString("rwxr-xr-x"));
        offerAndAccept(attacker, "/srv/suid" + n, dir);
        HostMounts host = HostMounts.snapshot();
        Set<String> etc = names(HOST_ETC);

        String out = attacker.shOk("set -eu\ncp " + dir + "/probe " + dir + "/suid\nchown 0:0 " + dir + "/suid\n"
                + "chmod 4755 " + dir + "/suid\nstat -c %a:%u " + dir + "/suid\n" + dir + "/probe as 1000 " + dir + "/suid\n");

        assertThat(out).as("setuid-root file in the share, run as uid 1000").isEqualTo("4755:0\neuid=1000 uid=1000\n");
        assertThat(attacker.mountinfo()).filteredOn(l -> l.split(" ")[4].equals(dir)).singleElement()
                .satisfies(l -> assertThat(l.split(" ")[5]).contains("nosuid").contains("nodev"));
        assertThat(HostMounts.snapshot().changesSince(host, castd.stateDir().getParent())).isEmpty();
        assertThat(names(HOST_ETC)).isEqualTo(etc);
        assertPeerServed();
        withdraw(attacker, "/srv/suid" + n, "peer:/srv/suid" + n);
    }

    /**
     * chmod 000, then 777, of the share's root by the receiver, each followed by a new request for
     * it: only the share's own mode changes (on the owner's side, as shared files do), castd
     * keeps serving and mounts it again.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("attackers")
    void chmodOfTheShareRootChangesOnlyTheShare(DropGuest attacker) throws IOException {
        String n = tag();
        String dir = "/mnt/chmod" + n;
        String source = "peer:/srv/chmod" + n;
        Path hostShare = peerContainer.root().resolve("srv/chmod" + n);
        offerAndAccept(attacker, "/srv/chmod" + n, dir);
        HostMounts host = HostMounts.snapshot();
        Set<String> etc = names(HOST_ETC);
        List<String> attackerMounts = attacker.mountPoints();

        for (String mode : List.of("000", "777")) {
            attacker.shOk("chmod " + mode + " " + dir);
            assertThat(firstLine(attacker.request("castoff", tag(), source))).isEqualTo("ok");
            await("unmounted").atMost(PROMPT).until(() -> !attacker.mountPoints().contains(dir));
            assertThat(firstLine(attacker.request("caston", tag(), source))).isEqualTo("ok");
            await("mounted again after chmod " + mode).atMost(PROMPT).until(() -> attacker.mountPoints().contains(dir));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(hostShare)))
                    .isEqualTo(mode.equals("000") ? "---------" : "rwxrwxrwx");
            assertThat(attacker.sh("cat " + dir + "/f").stdout()).isEqualTo("data\n");
        }

        assertThat(attacker.mountPoints()).isEqualTo(attackerMounts);
        assertThat(HostMounts.snapshot().changesSince(host, castd.stateDir().getParent())).isEmpty();
        assertThat(names(HOST_ETC)).isEqualTo(etc);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(peerContainer.root().resolve("srv"))))
                .as("the share's parent in the owner").isEqualTo("rwxr-xr-x");
        assertPeerServed();
        withdraw(attacker, "/srv/chmod" + n, source);
    }

    // ---- cgroup file systems as sources --------------------------------------------------------

    /**
     * The attacker offers a cgroup file system: a cgroup2 it mounted in its own root (the runc
     * guest from a cgroup namespace of its own, made with unshare(CLONE_NEWCGROUP)), and symlinks to the cgroup
     * and cgroup2 mounts it sees (one per type; all with -Dphoenix.full=true). The receiver's caston is refused by the
     * source's file-system type; nothing is mounted anywhere.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("attackers")
    void refusesCgroupFileSystemsAsSources(DropGuest attacker) throws IOException {
        String n = tag();
        // In its own cgroup namespace a user-namespaced root may mount cgroup2 (into its mount namespace).
        String probe = giveProbe(attacker);
        attacker.sh("mkdir -p /srv/cg" + n + " && { mount -t cgroup2 none /srv/cg" + n
                + " 2>/dev/null || " + probe + " cgroupns /bin/mount -t cgroup2 none /srv/cg" + n + "; }");
        List<String> sources = new ArrayList<>();
        if (attacker.mountPoints().contains("/srv/cg" + n)) sources.add("/srv/cg" + n);
        StringBuilder links = new StringBuilder("set -eu\n");
        int i = 0;
        Set<String> typesLinked = new TreeSet<>();
        for (String line : attacker.mountinfo()) {
            String[] f = line.split(" ");
            String type = line.substring(line.indexOf(" - ") + 3).split(" ")[0];
            if (!type.equals("cgroup") && !type.equals("cgroup2") || f[4].equals("/srv/cg" + n)) continue;
            if (!FULL && !typesLinked.add(type)) continue; // CI: one link per type
            String link = "/srv/cglink" + n + "-" + i++;
            links.append("ln -s '").append(f[4]).append("' ").append(link).append('\n');
            sources.add(link);
        }
        attacker.shOk(links.toString());
        System.out.printf("ShareAbuseIT: %s offers %d cgroup sources (%s)%n", attacker, sources.size(),
                sources.contains("/srv/cg" + n) ? "a cgroup2 of its own and links" : "links only");
        assertThat(sources).as("a cgroup2 of the attacker's own among its sources").contains("/srv/cg" + n);
        for (String s : sources) {
            assertThat(firstLine(attacker.request("cast", tag(), s + " peer:/mnt/cg" + n + s.replace('/', '_'))))
                    .isEqualTo("ok");
        }
        HostMounts host = HostMounts.snapshot();
        List<String> peerMounts = peer.mountPoints();

        for (String s : sources) {
            String reply = peer.request("caston", tag(), attacker.name() + ":" + s);
            assertThat(firstLine(reply)).as(s).startsWith("error: could not mount " + attacker.name() + ":" + s)
                    .containsPattern("pseudo file system \\(cgroup2?\\)");
        }

        assertThat(peer.mountPoints()).isEqualTo(peerMounts);
        assertThat(HostMounts.snapshot().changesSince(host, castd.stateDir().getParent())).isEmpty();
        assertThat(history(peer)).filteredOn(r -> r.reason().contains("pseudo file system (cgroup"))
                .hasSizeGreaterThanOrEqualTo(sources.size());
        for (String s : sources) {
            peer.request("castoff", tag(), attacker.name() + ":" + s);
            attacker.request("ucast", tag(), s);
        }
        attacker.sh("umount /srv/cg" + n + "; rm -rf /srv/cg" + n + " /srv/cglink" + n + "-*");
        assertPeerServed();
    }

    // ---- attacks of our own ---------------------------------------------------------------------

    /**
     * The guest covers /syscmd/replies with its own tmpfs and asks: castd writes the reply through
     * its held directory fd into its own tmpfs, never into the guest's; the guest finds it again
     * once it uncovers the directory.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("attackers")
    void neverWritesARepliesDirectoryTheGuestMountedOver(DropGuest attacker) throws IOException {
        HostMounts host = HostMounts.snapshot();
        attacker.shOk("mount -t tmpfs -o size=64k tmpfs /syscmd/replies && echo mine > /syscmd/replies/marker");
        String t = tag();

        String reply = attacker.request("showcast", t);

        assertThat(firstLine(reply)).isEqualTo("ok");
        assertThat(attacker.shOk("ls -A /syscmd/replies")).as("the guest's own tmpfs").isEqualTo("marker\n");
        attacker.shOk("umount /syscmd/replies");
        assertThat(attacker.sh("cat /syscmd/replies/showcast." + t).stdout()).isEqualTo(reply);
        assertThat(HostMounts.snapshot().changesSince(host, castd.stateDir().getParent())).isEmpty();
        assertPeerServed();
    }

    /**
     * The same caston 100 times (5,000 with -Dphoenix.full=true), then castoff and caston
     * alternating 3 times (10): every request answered, exactly one mount at the target at the
     * end and none after castoff (no stacking), castd's RSS bounded.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("attackers")
    void repeatingTheSameRequestNeverStacksMounts(DropGuest attacker) throws IOException {
        String n = tag();
        String target = "/mnt/churn" + n;
        String source = "peer:/srv/churn" + n;
        offerAndAccept(attacker, "/srv/churn" + n, target);
        List<String> withShare = attacker.mountPoints();
        HostMounts host = HostMounts.snapshot();
        long rssBefore = castd.rssKiB();
        Instant start = Instant.now();

        int batch = 100; // the drop tmpfs holds ~256 files
        for (int done = 0; done < REPEATS; done += batch) {
            StringBuilder script = new StringBuilder("set -eu\n");
            List<String> files = new ArrayList<>();
            for (int i = 0; i < Math.min(batch, REPEATS - done); i++) {
                String file = "caston." + n + "r" + (done + i);
                files.add(file);
                script.append("printf '%s\\n' '").append(source).append("' > /.syscmd/.").append(file).append(".tmp\n")
                        .append("mv /.syscmd/.").append(file).append(".tmp /.syscmd/").append(file).append('\n');
            }
            attacker.shOk(script.toString());
            for (String f : files) assertThat(firstLine(attacker.awaitReply(f, Duration.ofSeconds(30)))).isEqualTo("ok");
        }
        Duration repeated = Duration.between(start, Instant.now());
        for (int i = 0; i < (FULL ? 10 : 3); i++) {
            assertThat(firstLine(attacker.request("castoff", tag(), source))).isEqualTo("ok");
            assertThat(firstLine(attacker.request("caston", tag(), source))).isEqualTo("ok");
        }
        await("mounted").atMost(PROMPT).until(() -> attacker.mountPoints().contains(target));

        System.out.printf("ShareAbuseIT: %s: %d identical caston requests in %.1f s (%.0f/s), castd RSS %+d KiB%n",
                attacker, REPEATS, repeated.toMillis() / 1000.0, REPEATS * 1000.0 / Math.max(1, repeated.toMillis()),
                castd.rssKiB() - rssBefore);
        assertThat(attacker.mountPoints()).as("exactly the mounts from before").isEqualTo(withShare);
        assertThat(attacker.mountPoints().stream().filter(target::equals)).hasSize(1);
        assertThat(castd.rssKiB()).as("castd RSS (KiB)").isLessThan(rssBefore + 256 * 1024);
        assertThat(HostMounts.snapshot().changesSince(host, castd.stateDir().getParent())).isEmpty();
        withdraw(attacker, "/srv/churn" + n, source);
        await("unmounted after ucast").atMost(PROMPT).until(() -> !attacker.mountPoints().contains(target));
        assertPeerServed();
    }

    /**
     * castd's own descriptors (namespace, pidfd, inotify, eventfd, O_PATH and directory fds) are
     * all O_CLOEXEC, so no child process castd starts (runtime helpers, the unshare idmap helper,
     * setpriv) inherits a guest's root, namespace or drop directory. The JVM's own files (jars,
     * the log) are not castd's to choose; Java's process launcher closes every fd above 2 in the
     * child anyway, which the second half checks on castd's live children.
     */
    @Test
    void castdsOwnFileDescriptorsAreAllCloseOnExec() throws IOException {
        // make castd open what it opens for shares: a pidfd, namespace fds, O_PATH trees
        String n = tag();
        offerAndAccept(runc, "/srv/fd" + n, "/mnt/fd" + n);
        long pid = castd.pid();
        List<String> own = new ArrayList<>();
        List<String> leaky = new ArrayList<>();
        try (var fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                String target;
                String flags;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                    flags = Files.readAllLines(Path.of("/proc", Long.toString(pid), "fdinfo", fd.getFileName().toString()))
                            .stream().filter(l -> l.startsWith("flags:")).findFirst().orElseThrow().split("\\s+")[1];
                } catch (IOException e) {
                    continue; // closed meanwhile
                }
                long f = Long.parseLong(flags, 8);
                boolean castds = target.startsWith("anon_inode:") || target.matches("(mnt|user|pid|net):\\[\\d+]")
                        || (f & 010000000L) != 0 || (f & 0200000L) != 0
                        || target.startsWith(castd.stateDir().resolve("guests").toString())
                        || target.startsWith(castd.stateDir().resolve("run").toString());
                if (!castds) continue;
                own.add(fd.getFileName() + " " + target);
                if ((f & 02000000L) == 0) leaky.add(fd.getFileName() + " -> " + target + " flags " + flags);
            }
        }
        System.out.printf("ShareAbuseIT: castd holds %d fds of its own, %d without O_CLOEXEC%n", own.size(), leaky.size());
        assertThat(own).as("castd's own fds (pidfds, namespaces, drop directories)").hasSizeGreaterThan(10);
        assertThat(leaky).as("castd fds without O_CLOEXEC").isEmpty();

        // Children: the unshare helper of a new idmap and the read-only lock helper run while
        // a read-only share into the user-namespaced guest is made.
        Set<String> seen = new TreeSet<>();
        List<String> childLeaks = new ArrayList<>();
        CompletableFuture<Void> sampler = CompletableFuture.runAsync(() -> {
            Instant end = Instant.now().plusSeconds(3);
            while (Instant.now().isBefore(end)) sampleChildren(pid, seen, childLeaks);
        });
        peer.shOk("mkdir -p /srv/ro" + n + " && echo data > /srv/ro" + n + "/f");
        assertThat(firstLine(peer.request("cast", tag(), "--ro /srv/ro" + n + " " + runc.name() + ":/mnt/ro" + n)))
                .isEqualTo("ok");
        assertThat(firstLine(runc.request("caston", tag(), "peer:/srv/ro" + n))).isEqualTo("ok");
        sampler.join();
        System.out.printf("ShareAbuseIT: castd children sampled: %s%n", seen);
        assertThat(childLeaks).as("fds above 2 in castd's children").isEmpty();
        withdraw(runc, "/srv/ro" + n, "peer:/srv/ro" + n);
        withdraw(runc, "/srv/fd" + n, "peer:/srv/fd" + n);
    }

    /** Records each child of castd (not the JDK's jspawnhelper, which still holds its pipes) and any fd above 2 it has. */
    private static void sampleChildren(long pid, Set<String> seen, List<String> leaks) {
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                String children;
                try {
                    children = Files.readString(task.resolve("children")).trim();
                } catch (IOException e) {
                    continue;
                }
                if (children.isEmpty()) continue;
                for (String child : children.split("\\s+")) {
                    Path proc = Path.of("/proc", child);
                    try {
                        String exe = Files.readSymbolicLink(proc.resolve("exe")).toString();
                        if (exe.endsWith("jspawnhelper")) continue;
                        List<String> fds = new ArrayList<>();
                        try (var s = Files.list(proc.resolve("fd"))) {
                            for (Path fd : s.toList()) fds.add(fd.getFileName() + "->" + Files.readSymbolicLink(fd));
                        }
                        seen.add(exe);
                        for (String fd : fds) {
                            if (Integer.parseInt(fd.substring(0, fd.indexOf("->"))) > 2) leaks.add(exe + " " + fd);
                        }
                    } catch (IOException | RuntimeException e) {
                        // the child exited meanwhile
                    }
                }
            }
        } catch (IOException e) {
            // castd's task list changed meanwhile
        }
    }

    /**
     * A hard link from inside a received share to a file outside it (the receiver's /etc/passwd,
     * and a file of the owner's outside the share) cannot be made: the kernel refuses links
     * across mounts (EXDEV), so the owner's side gains no name for a receiver file.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("attackers")
    void aHardLinkOutOfAShareCannotBeMade(DropGuest attacker) throws IOException {
        String n = tag();
        String dir = "/mnt/hl" + n;
        offerAndAccept(attacker, "/srv/hl" + n, dir);
        Set<String> before = names(peerContainer.root().resolve("srv/hl" + n));

        ExecResult passwd = attacker.sh("ln /etc/passwd " + dir + "/passwd");
        ExecResult back = attacker.sh("ln " + dir + "/f /tmp/hl" + n);

        assertThat(passwd.succeeded()).as("ln /etc/passwd into the share: " + passwd).isFalse();
        assertThat(back.succeeded()).as("ln from the share to the guest's /tmp: " + back).isFalse();
        assertThat(names(peerContainer.root().resolve("srv/hl" + n))).isEqualTo(before);
        assertPeerServed();
        withdraw(attacker, "/srv/hl" + n, "peer:/srv/hl" + n);
    }

    /**
     * The guest takes a write lease on its request file and keeps it (ignoring the SIGIO of the
     * break): castd's non-blocking open fails at once instead of waiting up to lease-break-time,
     * so the peer is served as promptly as ever; castd neither refuses the file nor logs a
     * warning per rescan for it, and answers it exactly once after the guest lets go.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("attackers")
    void aWriteLeaseOnARequestFileNeverStallsCastd(DropGuest attacker) throws Exception {
        String n = tag();
        String probe = giveProbe(attacker);
        String file = "caston.l" + n;
        String request = "peer:/srv/leased" + n;
        attacker.clearReply(file);
        Path dropped = attacker.hostDrop().resolve(file);
        CompletableFuture<ExecResult> guest = CompletableFuture.supplyAsync(() -> attacker.sh("set -eu\n"
                + "printf '%s\\n' '" + request + "' > /.syscmd/." + file + ".tmp\n"
                + probe + " lease /.syscmd/." + file + ".tmp 4 > /tmp/lease" + n + " &\n"
                + "i=0; while [ ! -s /tmp/lease" + n + " ]; do i=$((i+1)); [ $i -lt 100 ] || exit 7; sleep 0.05; done\n"
                + "mv /.syscmd/." + file + ".tmp /.syscmd/" + file + "\n"
                + "wait\n"));
        await("request file under lease in the drop directory").atMost(PROMPT).until(() -> Files.exists(dropped));

        Instant asked = Instant.now();
        assertPeerServed();
        Duration peerLatency = Duration.between(asked, Instant.now());
        await("no reply while the lease is held").during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
                .until(() -> !Files.exists(attacker.hostReplies().resolve(file)));
        assertThat(guest.get(30, TimeUnit.SECONDS).succeeded()).as("guest lease holder").isTrue();
        String reply = attacker.awaitReply(file, PROMPT);

        System.out.printf("ShareAbuseIT: %s holds a write lease on its request: peer served in %d ms%n", attacker,
                peerLatency.toMillis());
        assertThat(peerLatency).as("peer served while the lease is held").isLessThan(PROMPT);
        assertThat(reply).startsWith("ok\naccepted " + request + ";");
        assertThat(history(attacker)).filteredOn(r -> r.arguments().contains("/srv/leased" + n)).hasSize(1);
        assertThat(castd.log()).as("no warning per rescan for the leased file")
                .doesNotContain("cannot read '" + file + "'");
        attacker.request("castoff", tag(), request);
    }

    // ---- helpers --------------------------------------------------------------------------------

    /**
     * The probe in the attacker's hands: a read-write share /srv/probe of the peer holding it,
     * accepted at /mnt/probe (made once per attacker); returns the path in the attacker.
     */
    private String giveProbe(DropGuest attacker) throws IOException {
        String target = "/mnt/probe";
        if (!attacker.mountPoints().contains(target)) {
            Path hostShare = peerContainer.root().resolve("srv/probe");
            Files.createDirectories(hostShare);
            Files.copy(probeDir.resolve("probe"), hostShare.resolve("probe"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(hostShare.resolve("probe"), PosixFilePermissions.fromString("rwxr-xr-x"));
            offerAndAccept(attacker, "/srv/probe", target);
        }
        return target + "/probe";
    }

    /** The peer makes /srv/X with a file f, offers it to the attacker at TARGET; the attacker accepts; waits for the mount. */
    private void offerAndAccept(DropGuest attacker, String peerDir, String target) {
        peer.shOk("mkdir -p " + peerDir + " && echo data > " + peerDir + "/f");
        assertThat(firstLine(peer.request("cast", tag(), peerDir + " " + attacker.name() + ":" + target))).isEqualTo("ok");
        assertThat(firstLine(attacker.request("caston", tag(), "peer:" + peerDir))).isEqualTo("ok");
        await(attacker + " has " + target).atMost(PROMPT).until(() -> attacker.mountPoints().contains(target));
    }

    private void withdraw(DropGuest attacker, String peerDir, String source) {
        attacker.request("castoff", tag(), source);
        peer.request("ucast", tag(), peerDir);
    }

    private void assertPeerServed() {
        assertThat(firstLine(peer.request("showcast", tag()))).as("peer still served").isEqualTo("ok");
    }

    private List<HistoryRow> history(DropGuest guest) {
        return CastdJson.historyOf(castd, guest.name());
    }

    /** Runs a host command; fails unless it exits 0; returns its stdout. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }
}
