package org.phoenixcast.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.phoenixcast.it.support.HostDirs.names;
import static org.phoenixcast.it.support.Replies.firstLine;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.phoenixcast.it.support.CastdJson;
import org.phoenixcast.it.support.CastdJson.HistoryRow;
import org.phoenixcast.it.support.CastdProcess;
import org.phoenixcast.it.support.DropGuest;
import org.phoenixcast.it.support.HostMounts;
import org.phoenixcast.it.support.SecondsByAttacker;
import org.phoenixcast.testing.RequiresRoot;
import org.phoenixcast.it.support.UnshareContainer;
import org.phoenixcast.it.support.RuntimeContainer;
import org.phoenixcast.it.runtimes.RuncFixture;

/**
 * Hostile guests against a real castd: every attack from the threat model's list that a guest
 * can make through its drop directory. Each must be refused with a clear reply and a history
 * row, and change nothing on the host (its mount table and files), in the attacker's own mount
 * table, or for the other guest, which keeps being served.
 *
 * <p>Attackers: a castd sandbox (dash, no user namespace), a busybox unshare container (no user
 * namespace) and a runc container with uid maps (container root is host uid 100000), which castd
 * discovered from runc's state. The peer (the other guest, and the owner of shares) is a busybox
 * container.
 */
@RequiresRoot(tools = {"unshare", "nsenter", "mount", "umount", "pivot_root", "busybox", "runc", "mknod"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(SecondsByAttacker.class) // tests and seconds per attacker kind, printed at the end
class HostileGuestIT {
    /** castd resyncs every second; a refusal or a re-attach well within this is "prompt". */
    private static final Duration PROMPT = Duration.ofSeconds(3);
    private static final Path HOST_ETC = Path.of("/etc");
    private static final Path HOST_PASSWD = Path.of("/etc/passwd");

    private final AtomicInteger tags = new AtomicInteger();
    private CastdProcess castd;
    private UnshareContainer busyboxContainer;
    private UnshareContainer peerContainer;
    private DropGuest sandbox;
    private DropGuest busybox;
    private DropGuest peer;
    private RuncFixture runcFixture;
    private DropGuest runc;

    @BeforeAll
    void startCastdAndGuests() throws IOException {
        runcFixture = RuncFixture.withUserNamespace();
        RuntimeContainer runcContainer = runcFixture.create("rn1");
        runcContainer.start();
        castd = CastdProcess.start(runcFixture.castdSettings(), null);
        busyboxContainer = UnshareContainer.start(UnshareContainer.Rootfs.BUSYBOX, "bb1");
        peerContainer = UnshareContainer.start(UnshareContainer.Rootfs.BUSYBOX, "peer");
        sandbox = DropGuest.sandbox(castd, "sb1");
        busybox = DropGuest.registered(castd, "bb1", busyboxContainer);
        peer = DropGuest.registered(castd, "peer", peerContainer);
        runc = DropGuest.discovered(castd, "runc", runcContainer);
    }

    @AfterAll
    void stopEverything() throws IOException {
        try {
            if (castd != null) castd.close();
        } finally {
            if (busyboxContainer != null) busyboxContainer.close();
            if (peerContainer != null) peerContainer.close();
            if (runcFixture != null) runcFixture.close();
        }
    }

    /** sandbox, busybox (no user namespace) and runc-userns: every parameterized attack runs from each. */
    Stream<DropGuest> attackers() {
        return Stream.of(sandbox, busybox, runc);
    }

    /** The other attacker: a third container, for shares offered to someone else. */
    private DropGuest other(DropGuest attacker) {
        return attacker == sandbox ? busybox : sandbox;
    }

    private String tag() {
        return "t" + tags.incrementAndGet();
    }

    // ---- target parents that are symlinks out of the guest -------------------------------------

    /** The owner offers to {@code ATTACKER:/evilN/leaf}; the attacker made /evilN a symlink, then accepts. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("attackers")
    void refusesToMountWhereTheTargetParentIsASymlinkLeavingTheGuest(DropGuest attacker) throws IOException {
        List<String> links = List.of("/", "/etc", "../../..", "/proc/self/root", "/proc/1/root");
        String n = tag();
        StringBuilder setup = new StringBuilder("set -eu\n");
        List<String> offers = new ArrayList<>();
        for (int i = 0; i < links.size(); i++) {
            setup.append("ln -s '").append(links.get(i)).append("' /evil").append(n).append(i).append('\n');
            peer.shOk("mkdir -p /srv/sym" + n + i + " && echo secret > /srv/sym" + n + i + "/f");
            offers.add("/srv/sym" + n + i + " " + attacker.name() + ":/evil" + n + i + "/" + leaf(n, i));
        }
        attacker.shOk(setup.toString());
        assertThat(peer.request("cast", tag(), offers.toArray(String[]::new))).doesNotContain("error");
        Baseline before = baseline(attacker);
        Set<String> etcBefore = names(attacker.hostRoot().resolve("etc"));

        Map<String, String> files = new LinkedHashMap<>();
        for (int i = 0; i < links.size(); i++) files.put("caston." + tag(), "peer:/srv/sym" + n + i);
        Map<String, String> replies = dropAll(attacker, files);

        List<HistoryRow> history = history(attacker);
        SoftAssertions soft = new SoftAssertions();
        int index = 0;
        for (var e : replies.entrySet()) {
            int i = index++;
            String link = links.get(i);
            String target = "/evil" + n + i + "/" + leaf(n, i);
            soft.assertThat(firstLine(e.getValue())).as("/evil -> " + link)
                    .startsWith("error: could not mount peer:/srv/sym" + n + i + " at " + target)
                    .contains("path contains a symlink");
            soft.assertThat(history).as("history of /evil -> " + link).anyMatch(r -> r.verb().equals("mount")
                    && r.outcome().equals("failed") && r.arguments().equals("peer:/srv/sym" + n + i + " " + target)
                    && r.reason().contains("symlink"));
            for (Path p : List.of(HOST_ETC.resolve(leaf(n, i)), Path.of("/", leaf(n, i)),
                    attacker.hostRoot().resolve(leaf(n, i)), attacker.hostRoot().resolve("etc").resolve(leaf(n, i)))) {
                soft.assertThat(p).as("nothing created by following /evil -> " + link).doesNotExist();
            }
        }
        soft.assertThat(names(attacker.hostRoot().resolve("etc"))).as("guest /etc").isEqualTo(etcBefore);
        soft.assertAll();
        assertUnchanged(before, attacker);
        for (int k = 0; k < links.size(); k++) peer.request("ucast", tag(), "/srv/sym" + n + k);
    }

    private static String leaf(String n, int i) {
        return "phoenix-cast-hostile-" + n + "-" + i;
    }

    // ---- malformed paths and bytes in request lines --------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("attackers")
    void refusesMalformedPathsAndBytesInRequestLines(DropGuest attacker) throws IOException {
        String longPath = "/" + String.join("/", java.util.Collections.nCopies(20, "a".repeat(250)));
        Object[][] table = {
                {"'..' in a source", "caston", utf8("peer:/srv/../etc")},
                {"'..' in a target", "cast", utf8("/srv/x peer:/mnt/../../etc")},
                {"'//' in a target", "cast", utf8("/srv/x peer://etc")},
                {"trailing '/.'", "cast", utf8("/srv/x peer:/mnt/.")},
                {"'/./' inside", "cast", utf8("/srv/./x peer:/mnt/x")},
                {"trailing '/'", "castoff", utf8("/mnt/a/")},
                {"relative path", "cast", utf8("srv/x peer")},
                {"NUL byte", "cast", utf8("/srv/x peer:/mnt/a\0/etc")},
                {"control characters", "cast", utf8("/srv/x peer:/mnt/\u0001\u001b[2J")},
                {"non-UTF-8 bytes", "cast", concat(utf8("/srv/x peer:/mnt/"),
                        new byte[] {(byte) 0xff, (byte) 0xfe, (byte) 0xc0, (byte) 0xaf})},
                {"4,096+ characters", "cast", utf8("/srv/x peer:" + longPath)},
                {"1,000+ components", "cast", utf8("/srv/x peer:" + "/a".repeat(1000))},
        };
        assertEveryRequestRefused(attacker, table);
    }

    // ---- forbidden targets and sources ---------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("attackers")
    void refusesForbiddenTargetsAndSources(DropGuest attacker) throws IOException {
        List<String> lines = List.of("/srv/x peer:/proc", "/srv/x peer:/proc/sys/kernel", "/srv/x peer:/",
                "/srv/x peer:/sys", "/srv/x peer:/dev", "/srv/x peer:/dev/shm/x", "/srv/x peer:/.syscmd",
                "/srv/x peer:/syscmd", "/srv/x peer:/syscmd/replies", "/proc peer", "/proc/1 peer:/mnt/p",
                "/sys peer:/mnt/s", "/dev peer:/mnt/d", "/.syscmd peer:/mnt/drop", "/syscmd/replies peer:/mnt/r",
                "/ peer:/mnt/root");
        Object[][] table = lines.stream().map(l -> new Object[] {"cast " + l, "cast", utf8(l)}).toArray(Object[][]::new);
        Map<String, String> replies = assertEveryRequestRefused(attacker, table);
        assertThat(replies.values()).allSatisfy(r -> assertThat(firstLine(r))
                .matches("error: (target .* is forbidden|cannot share .* is not shareable).*"));
    }

    // ---- verbs, arguments and tags -------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("attackers")
    void refusesUnknownVerbsAndExtraOrMissingArguments(DropGuest attacker) throws IOException {
        Object[][] table = {
                {"unknown verb", "frobnicate", utf8("peer:/srv/x")},
                {"verb in capitals", "CASTON", utf8("peer:/srv/x")},
                {"missing argument", "ucast", utf8("")},
                {"missing argument", "cast", utf8("--ro")},
                {"extra argument", "caston", utf8("peer:/srv/x peer:/srv/y")},
                {"extra argument", "cast", utf8("/srv/x peer:/mnt/x extra")},
                {"extra argument", "showcast", utf8("-a -a")},
                {"unknown option", "showcast", utf8("--all")},
                {"unknown option", "castblock", utf8("-u -u")},
                {"source without path", "caston", utf8("peer")},
                {"65 lines", "showcast", utf8("\n".repeat(65))},
        };
        Map<String, String> replies = assertEveryRequestRefused(attacker, table);
        assertThat(replies.get(table[0][0] + "#0")).startsWith("error: unknown command 'frobnicate'");
        assertThat(replies.get(table[1][0] + "#1")).startsWith("error: unknown command 'CASTON'");
    }

    /**
     * Drops every {@code {what, verb, line bytes}} request in one go (one process in the guest),
     * then asserts each got an {@code error:} reply with a matching refused history row, its file
     * is gone, and nothing changed.
     *
     * @return the replies by "what#index"
     */
    private Map<String, String> assertEveryRequestRefused(DropGuest attacker, Object[][] table) throws IOException {
        Baseline before = baseline(attacker);
        Map<String, byte[]> files = new LinkedHashMap<>();
        Map<String, String> whatOf = new LinkedHashMap<>();
        for (int i = 0; i < table.length; i++) {
            String file = table[i][1] + "." + tag();
            byte[] line = (byte[]) table[i][2];
            files.put(file, line.length > 0 && line[line.length - 1] == '\n' ? line : concat(line, new byte[] {'\n'}));
            whatOf.put(file, table[i][0] + "#" + i);
        }
        Map<String, String> replies = dropAllRaw(attacker, files);
        List<HistoryRow> history = history(attacker);
        SoftAssertions soft = new SoftAssertions();
        Map<String, String> byWhat = new LinkedHashMap<>();
        for (var e : replies.entrySet()) {
            String what = whatOf.get(e.getKey());
            String verb = e.getKey().substring(0, e.getKey().indexOf('.'));
            String first = firstLine(e.getValue());
            byWhat.put(what, e.getValue());
            soft.assertThat(first).as(what).startsWith("error: ");
            if (first.startsWith("error: ")) {
                String reason = first.substring("error: ".length());
                soft.assertThat(history).as("refused history row for " + what + ": " + reason)
                        .anyMatch(r -> r.verb().equals(verb) && r.outcome().equals("refused")
                                && r.reason().replace('\n', ' ').replace('\r', ' ').equals(reason));
            }
        }
        soft.assertThat(attacker.dropEntries()).as("request files removed").doesNotContainAnyElementsOf(files.keySet());
        soft.assertAll();
        assertUnchanged(before, attacker);
        return byWhat;
    }

    private Map<String, String> dropAll(DropGuest attacker, Map<String, String> linesByFile) {
        Map<String, byte[]> raw = new LinkedHashMap<>();
        linesByFile.forEach((f, l) -> raw.put(f, utf8(l + "\n")));
        return dropAllRaw(attacker, raw);
    }

    /** Writes every file (temp name, then rename) in one guest process; returns the replies by file. */
    private Map<String, String> dropAllRaw(DropGuest attacker, Map<String, byte[]> files) {
        StringBuilder script = new StringBuilder("set -eu\n");
        files.forEach((file, content) -> {
            attacker.clearReply(file);
            script.append("printf '").append(DropGuest.octal(content)).append("' > /.syscmd/.").append(file).append(".tmp\n")
                    .append("mv /.syscmd/.").append(file).append(".tmp /.syscmd/").append(file).append('\n');
        });
        attacker.shOk(script.toString());
        Map<String, String> replies = new LinkedHashMap<>();
        for (String file : files.keySet()) replies.put(file, attacker.awaitReply(file, PROMPT));
        return replies;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    Stream<Arguments> pseudoSourcesBehindSymlinks() {
        List<String> links = List.of("/proc", "/proc/1/root", "/.syscmd", "/syscmd");
        return attackers().flatMap(g -> links.stream().map(l -> Arguments.of(g, l)));
    }

    /** The lexical check sees /srv/...; the mount layer must refuse what the symlink leads to. */
    @ParameterizedTest(name = "{0}: /srv/link -> {1}")
    @MethodSource("pseudoSourcesBehindSymlinks")
    void refusesPseudoFileSystemAndControlDirectorySourcesBehindSymlinks(DropGuest attacker, String link)
            throws IOException {
        String n = tag();
        attacker.shOk("mkdir -p /srv && ln -s '" + link + "' /srv/link" + n);
        String offered = attacker.request("cast", tag(), "/srv/link" + n + " peer:/mnt/link" + n);
        Baseline before = baseline(attacker);

        String reply = peer.request("caston", tag(), attacker.name() + ":/srv/link" + n);

        assertThat(firstLine(offered)).isEqualTo("ok");
        assertThat(firstLine(reply)).startsWith("error: could not mount " + attacker.name() + ":/srv/link" + n);
        assertThat(peer.mountPoints()).doesNotContain("/mnt/link" + n);
        assertUnchanged(before, attacker);
        assertThat(firstLine(peer.request("castoff", tag(), attacker.name() + ":/srv/link" + n))).isEqualTo("ok");
        assertThat(firstLine(attacker.request("ucast", tag(), "/srv/link" + n))).isEqualTo("ok");
    }

    // ---- command files that are not plain requests ---------------------------------------------

    enum BadFile { SYMLINK_TO_GUEST_PASSWD, SYMLINK_TO_HOST_PATH, FIFO, SOCKET, DEVICE, DIRECTORY, HARD_LINK,
        SPARSE_1_GIB, MILLION_LINES }

    /** Every kind from every attacker. */
    Stream<Arguments> badCommandFiles() {
        return attackers().flatMap(g -> Stream.of(BadFile.values()).map(b -> Arguments.of(g, b)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("badCommandFiles")
    void refusesCommandFilesThatAreNotSmallPlainFiles(DropGuest attacker, BadFile kind) throws Exception {
        Baseline before = baseline(attacker);
        String passwd = sha256(HOST_PASSWD);
        long rssBefore = castd.rssKiB();
        String file = "caston." + tag();
        String drop = "/.syscmd/";
        String tmp = drop + ".x" + file;
        attacker.clearReply(file);

        switch (kind) {
            case SYMLINK_TO_GUEST_PASSWD -> attacker.shOk("ln -s /etc/passwd " + tmp + " && mv " + tmp + " " + drop + file);
            case SYMLINK_TO_HOST_PATH -> attacker.shOk("ln -s '" + castd.stateDir().resolve("db/castd.mv.db") + "' "
                    + tmp + " && mv " + tmp + " " + drop + file);
            case FIFO -> attacker.shOk("mkfifo " + tmp + " && mv " + tmp + " " + drop + file);
            case SOCKET -> bindSocket(attacker, file);
            case DEVICE -> makeDevice(attacker, tmp, drop + file);
            case DIRECTORY -> attacker.shOk("mkdir " + tmp + " && echo peer:/srv/x > " + tmp + "/caston && mv " + tmp
                    + " " + drop + file);
            case HARD_LINK -> attacker.shOk("echo peer:/srv/x > " + tmp + " && ln " + tmp + " " + drop + file);
            case SPARSE_1_GIB -> attacker.shOk("truncate -s 1G " + tmp + " && mv " + tmp + " " + drop + file);
            case MILLION_LINES -> attacker.shOk("yes '' | head -n 1000000 > " + tmp + " && mv " + tmp + " " + drop + file);
        }
        String reply = attacker.awaitReply(file, PROMPT);

        assertThat(firstLine(reply)).as(kind.name()).startsWith("error: ");
        assertRefusalRecorded(attacker, "caston", reply);
        await("request file removed").atMost(PROMPT).until(() -> !attacker.dropEntries().contains(file));
        assertThat(sha256(HOST_PASSWD)).as("host /etc/passwd").isEqualTo(passwd);
        assertThat(castd.rssKiB()).as("castd RSS (KiB) after a " + kind).isLessThan(rssBefore + 128 * 1024);
        if (kind == BadFile.FIFO) {
            Instant start = Instant.now();
            assertThat(firstLine(attacker.request("showcast", tag()))).isEqualTo("ok");
            assertThat(Duration.between(start, Instant.now())).as("served after the FIFO").isLessThan(PROMPT);
        }
        attacker.shOk("rm -f " + tmp + "; rm -rf " + drop + ".x*");
        assertUnchanged(before, attacker);
    }

    /**
     * A guest with its own user namespace may not mknod a device (EPERM), so for it the node is
     * made on the host side of its drop tmpfs, which is what a guest with CAP_MKNOD could do.
     */
    private void makeDevice(DropGuest attacker, String tmp, String target) throws IOException {
        if (!attacker.kind().endsWith("-userns")) {
            attacker.shOk("mknod " + tmp + " c 1 3 && mv " + tmp + " " + target);
            return;
        }
        assertThat(attacker.sh("mknod " + tmp + " c 1 3").succeeded()).as("mknod in a user namespace").isFalse();
        Path hidden = attacker.hostDrop().resolve(tmp.substring(tmp.lastIndexOf('/') + 1));
        try {
            Process p = new ProcessBuilder("mknod", hidden.toString(), "c", "1", "3").inheritIO().start();
            assertThat(p.waitFor()).as("host mknod").isZero();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        Files.move(hidden, attacker.hostDrop().resolve(target.substring(target.lastIndexOf('/') + 1)));
    }

    /** A socket is created from the host side of the drop tmpfs: no guest here has a tool to bind one. */
    private void bindSocket(DropGuest attacker, String file) throws IOException {
        Path hidden = attacker.hostDrop().resolve(".sock-" + file);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(hidden));
            Files.move(hidden, attacker.hostDrop().resolve(file));
        }
    }

    // ---- verbs, arguments and tags -------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("attackers")
    void refusesADisabledVerb(DropGuest attacker) throws IOException {
        castd.castctlOk("container", "disable", attacker.name(), "cast");
        try {
            Baseline before = baseline(attacker);

            String reply = attacker.request("cast", tag(), "/srv/x peer:/mnt/x");

            assertThat(firstLine(reply)).isEqualTo("error: cast is disabled for this container");
            assertRefusalRecorded(attacker, "cast", reply);
            assertUnchanged(before, attacker);
        } finally {
            castd.castctlOk("container", "enable", attacker.name(), "cast");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attackers")
    void treatsATagNamingAnotherContainerAsTheWritersOwnRequest(DropGuest attacker) throws IOException {
        Baseline before = baseline(attacker);
        String file = "caston." + peer.name();
        peer.clearReply(file);

        String reply = attacker.request("caston", peer.name(), "peer:/srv/never-" + tag());

        assertThat(firstLine(reply)).isEqualTo("ok");
        assertThat(peer.hostReplies().resolve(file)).as("nothing lands in the named container's replies").doesNotExist();
        assertThat(attacker.sh("cat /syscmd/replies/" + file).stdout()).isEqualTo(reply);
        assertThat(peer.sh("ls /syscmd/replies/").stdout()).doesNotContain(file);
        List<HistoryRow> mine = history(attacker);
        assertThat(mine.get(mine.size() - 1).arguments()).startsWith("peer:/srv/never");
        assertThat(history(peer)).noneMatch(r -> r.verb().equals("caston") && r.arguments().startsWith("peer:/srv/never"));
        assertThat(firstLine(attacker.request("castoff", tag()))).isEqualTo("ok");
        assertUnchanged(before, attacker);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attackers")
    void refusesAnInvalidRequestFileNameInHistoryOnly(DropGuest attacker) throws IOException {
        String file = "caston.a.b" + tag();
        attacker.dropRaw(file, "peer:/srv/x\n".getBytes(StandardCharsets.UTF_8));

        await("invalid name removed").atMost(PROMPT).until(() -> !attacker.dropEntries().contains(file));

        assertThat(history(attacker)).anySatisfy(r -> {
            assertThat(r.outcome()).isEqualTo("refused");
            assertThat(r.arguments()).contains(file);
            assertThat(r.reason()).contains("invalid request file name");
        });
        try (var replies = Files.list(attacker.hostReplies())) {
            assertThat(replies.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(file));
        }
    }

    // ---- sources never offered, or offered to someone else --------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("attackers")
    void mountsNothingForASourceNeverOfferedOrOfferedToSomeoneElse(DropGuest attacker) throws IOException {
        String n = tag();
        DropGuest third = other(attacker);
        peer.shOk("mkdir -p /srv/never" + n + " /srv/theirs" + n + " && echo secret > /srv/theirs" + n + "/f");
        assertThat(firstLine(peer.request("cast", tag(), "/srv/theirs" + n + " " + third.name() + ":/mnt/theirs" + n)))
                .isEqualTo("ok");
        Baseline before = baseline(attacker);
        List<String> thirdBefore = third.mountPoints();

        String never = attacker.request("caston", tag(), "peer:/srv/never" + n);
        String theirs = attacker.request("caston", tag(), "peer:/srv/theirs" + n);

        assertThat(never).startsWith("ok\naccepted peer:/srv/never" + n + "; it is not offered to you yet");
        assertThat(theirs).startsWith("ok\naccepted peer:/srv/theirs" + n + "; it is not offered to you yet");
        assertUnchanged(before, attacker);
        assertThat(attacker.sh("cat /mnt/theirs" + n + "/f /srv/theirs" + n + "/f").stdout()).doesNotContain("secret");
        assertThat(third.mountPoints()).as("the receiver did not accept: nothing mounted there either")
                .isEqualTo(thirdBefore);
        assertThat(CastdJson.status(castd).get("mounts").toString()).doesNotContain("/srv/theirs" + n)
                .doesNotContain("/srv/never" + n);
        assertThat(firstLine(attacker.request("castoff", tag()))).isEqualTo("ok");
        assertThat(firstLine(peer.request("ucast", tag(), "/srv/theirs" + n))).isEqualTo("ok");
    }

    // ---- a guest that removes or covers its drop directory -------------------------------------

    Stream<Arguments> dropDirectoryAttacks() {
        List<String> attacks = List.of("umount /.syscmd", "umount -l /.syscmd && umount -l /syscmd",
                "mount -t tmpfs -o size=64k tmpfs /.syscmd", "mount -t tmpfs -o size=64k tmpfs /syscmd");
        return attackers().flatMap(g -> attacks.stream().map(a -> Arguments.of(g, a)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("dropDirectoryAttacks")
    void reattachesTheDropDirectoryAfterTheGuestUnmountsOrCoversIt(DropGuest attacker, String attack) throws IOException {
        HostMounts host = HostMounts.snapshot();
        attacker.shOk(attack);
        Instant attacked = Instant.now();

        await("castd re-attaches /.syscmd and /syscmd").atMost(PROMPT).pollInterval(Duration.ofMillis(20))
                .until(attacker::isAttached);
        Duration reattached = Duration.between(attacked, Instant.now());
        String t = tag();
        String reply = attacker.request("showcast", t);

        assertThat(reattached).as("resync re-attached within ~2 s").isLessThan(Duration.ofMillis(2500));
        assertThat(firstLine(reply)).isEqualTo("ok");
        assertThat(attacker.sh("cat /syscmd/replies/showcast." + t).stdout()).as("the guest sees it").isEqualTo(reply);
        assertThat(HostMounts.snapshot().changesSince(host, castd.stateDir().getParent())).isEmpty();
        assertThat(firstLine(peer.request("showcast", tag()))).isEqualTo("ok");
    }

    // ---- shared assertions ---------------------------------------------------------------------

    /** What a refused attack must leave as it was. */
    private record Baseline(HostMounts host, Set<String> hostEtc, Set<String> hostRoot, List<String> attacker,
                            List<String> peer) {}

    private Baseline baseline(DropGuest attacker) throws IOException {
        return new Baseline(HostMounts.snapshot(), names(HOST_ETC), names(Path.of("/")), attacker.mountPoints(),
                peer.mountPoints());
    }

    /**
     * Host mount table and the names in host / and /etc unchanged; the attacker's and the peer's
     * mount tables unchanged; the peer still gets prompt answers.
     */
    private void assertUnchanged(Baseline before, DropGuest attacker) throws IOException {
        assertThat(HostMounts.snapshot().changesSince(before.host(), castd.stateDir().getParent()))
                .as("host mount table changes").isEmpty();
        assertThat(names(HOST_ETC)).as("host /etc").isEqualTo(before.hostEtc());
        assertThat(names(Path.of("/"))).as("host /").isEqualTo(before.hostRoot());
        assertThat(attacker.mountPoints()).as(attacker + " mount table").isEqualTo(before.attacker());
        assertThat(peer.mountPoints()).as("peer mount table").isEqualTo(before.peer());
        assertThat(firstLine(peer.request("showcast", tag()))).as("peer still served").isEqualTo("ok");
    }

    private void assertRefusalRecorded(DropGuest attacker, String verb, String reply) {
        String reason = firstLine(reply).substring("error: ".length());
        assertThat(history(attacker)).as("history row for '" + reason + "'").anySatisfy(r -> {
            assertThat(r.verb()).isEqualTo(verb);
            assertThat(r.outcome()).isEqualTo("refused");
            assertThat(r.reason().replace('\n', ' ').replace('\r', ' ')).isEqualTo(reason);
        });
    }

    private List<HistoryRow> history(DropGuest guest) {
        return CastdJson.historyOf(castd, guest.name());
    }

    private static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
