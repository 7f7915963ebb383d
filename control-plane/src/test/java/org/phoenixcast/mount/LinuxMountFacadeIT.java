package org.phoenixcast.mount;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.phoenixcast.testing.RequiresRoot;
import org.phoenixcast.linux.TestContainer;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.GuestPath;

@RequiresRoot
class LinuxMountFacadeIT {
    private static LinuxMountFacade facade;
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private Path hostDir;

    @BeforeAll
    static void startFacade() {
        facade = LinuxMountFacade.start();
    }

    @AfterAll
    static void stopFacade() {
        if (facade != null) facade.close();
    }

    @BeforeEach
    void hostShare() throws Exception {
        hostDir = Files.createTempDirectory("pc-share");
        Files.writeString(hostDir.resolve("hello.txt"), "hello from host\n");
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) cleanup.get(i).close();
        try (var files = Files.walk(hostDir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    private TestContainer container() throws Exception {
        TestContainer c = TestContainer.start();
        cleanup.add(c);
        return c;
    }

    private ContainerHandle open(TestContainer c) throws Exception {
        ContainerHandle h = facade.open(c.pid());
        cleanup.add(h);
        return h;
    }

    private static MountSpec hostSpec(Path source, String target, Access access) {
        return new MountSpec(new MountSource.HostPath(source), GuestPath.parse(target), access, false);
    }

    private static String hostMountinfo() throws Exception {
        return Files.readString(Path.of("/proc/self/mountinfo"));
    }

    @Test
    void injectsHostDirectoryReadWriteCreatingMissingTarget() throws Exception {
        TestContainer c = container();
        ContainerHandle h = open(c);
        long t0 = System.nanoTime();
        long id = facade.inject(h, hostSpec(hostDir, "/mnt/deep/share", Access.READ_WRITE));
        long micros = (System.nanoTime() - t0) / 1000;
        System.out.println("inject (host source, creates 3 dirs) took " + micros + " us");

        assertThat(c.check("cat /mnt/deep/share/hello.txt")).isEqualTo("hello from host\n");
        c.check("echo written > /mnt/deep/share/from-guest");
        assertThat(Files.readString(hostDir.resolve("from-guest"))).isEqualTo("written\n");
        MountInfo info = facade.mountTable(h).stream().filter(m -> m.mountId() == id).findFirst().orElseThrow();
        assertThat(info.mountPoint()).isEqualTo("/mnt/deep/share");
        assertThat(info.options().split(",")).contains("rw", "nosuid", "nodev").doesNotContain("noexec");
    }

    @Test
    void readOnlyShareRefusesWrites() throws Exception {
        TestContainer c = container();
        ContainerHandle h = open(c);
        long id = facade.inject(h, new MountSpec(new MountSource.HostPath(hostDir), GuestPath.parse("/ro"),
                Access.READ_ONLY, true));
        assertThat(c.check("cat /ro/hello.txt")).isEqualTo("hello from host\n");
        TestContainer.Result write = c.sh("touch /ro/nope");
        assertThat(write.exit()).isNotZero();
        assertThat(write.stderr()).contains("Read-only file system");
        MountInfo info = facade.mountTable(h).stream().filter(m -> m.mountId() == id).findFirst().orElseThrow();
        assertThat(info.readOnly()).isTrue();
        assertThat(info.options().split(",")).contains("nosuid", "nodev", "noexec");
    }

    @Test
    void injectsGuestFolderIntoAnotherGuest() throws Exception {
        TestContainer owner = container();
        TestContainer receiver = container();
        owner.check("mkdir -p /data && echo from-owner > /data/f && ln -s / /data/escape");
        ContainerHandle o = open(owner);
        ContainerHandle r = open(receiver);
        long t0 = System.nanoTime();
        facade.inject(r, new MountSpec(new MountSource.GuestFolder(o, GuestPath.parse("/data")),
                GuestPath.parse("/in"), Access.READ_WRITE, false));
        System.out.println("inject (guest source) took " + (System.nanoTime() - t0) / 1000 + " us");
        assertThat(receiver.check("cat /in/f")).isEqualTo("from-owner\n");
        receiver.check("echo back > /in/g");
        assertThat(owner.check("cat /data/g")).isEqualTo("back\n");
    }

    @Test
    void guestSourceSymlinkStaysInsideOwnerRoot() throws Exception {
        TestContainer owner = container();
        TestContainer receiver = container();
        // "/../../.." and "/" resolve to the owner's own root, never the host's
        owner.check("ln -s ../../.. /up && touch /owner-marker");
        ContainerHandle o = open(owner);
        ContainerHandle r = open(receiver);
        facade.inject(r, new MountSpec(new MountSource.GuestFolder(o, GuestPath.parse("/up")),
                GuestPath.parse("/in"), Access.READ_ONLY, false));
        assertThat(receiver.check("ls /in")).contains("owner-marker").doesNotContain("boot");
    }

    @Test
    void refusesTargetThroughSymlinks() throws Exception {
        TestContainer c = container();
        c.check("ln -s / /evil && ln -s /proc/self/root /magic && ln -s ../../.. /up && mkdir /d && ln -s /etc /d/l");
        ContainerHandle h = open(c);
        String hostBefore = hostMountinfo();
        String guestBefore = c.mountinfo();
        for (String target : List.of("/evil/x", "/magic/x", "/up/x", "/d/l/x", "/evil", "/proc/self/root/x",
                "/proc/1/root/x", "/proc/1/cwd")) {
            assertThatThrownBy(() -> facade.inject(h, hostSpec(hostDir, target, Access.READ_WRITE)))
                    .isInstanceOf(MountRefused.class)
                    .hasMessage("target " + target + ": path contains a symlink");
        }
        assertThat(hostMountinfo()).isEqualTo(hostBefore);
        assertThat(c.mountinfo()).isEqualTo(guestBefore);
        assertThat(Files.exists(Path.of("/x"))).isFalse();
    }

    @Test
    void refusesTargetThatIsNotADirectoryAndRoot() throws Exception {
        TestContainer c = container();
        c.check("echo x > /file");
        ContainerHandle h = open(c);
        assertThatThrownBy(() -> facade.inject(h, hostSpec(hostDir, "/file", Access.READ_WRITE)))
                .isInstanceOf(MountRefused.class).hasMessage("target /file: not a directory");
        assertThatThrownBy(() -> facade.inject(h, hostSpec(hostDir, "/file/below", Access.READ_WRITE)))
                .isInstanceOf(MountRefused.class).hasMessage("target /file/below: not a directory");
        assertThatThrownBy(() -> facade.inject(h, hostSpec(hostDir, "/", Access.READ_WRITE)))
                .isInstanceOf(MountRefused.class);
    }

    @Test
    void refusesPseudoFileSystemsAndNonDirectories() throws Exception {
        TestContainer owner = container();
        TestContainer receiver = container();
        owner.check("echo x > /plain");
        ContainerHandle o = open(owner);
        ContainerHandle r = open(receiver);
        String before = receiver.mountinfo();
        for (String host : List.of("/proc", "/sys", "/dev", "/dev/pts", "/proc/sys")) {
            if (!Files.isDirectory(Path.of(host))) continue;
            assertThatThrownBy(() -> facade.inject(r, hostSpec(Path.of(host), "/x", Access.READ_ONLY)))
                    .as(host).isInstanceOf(MountRefused.class).hasMessageContaining("pseudo file system");
        }
        assertThatThrownBy(() -> facade.inject(r, new MountSpec(new MountSource.GuestFolder(o, GuestPath.parse("/proc")),
                GuestPath.parse("/x"), Access.READ_ONLY, false)))
                .isInstanceOf(MountRefused.class).hasMessage("source /proc: is on a pseudo file system (proc)");
        assertThatThrownBy(() -> facade.inject(r, new MountSpec(new MountSource.GuestFolder(o, GuestPath.parse("/plain")),
                GuestPath.parse("/x"), Access.READ_ONLY, false)))
                .isInstanceOf(MountRefused.class).hasMessage("source /plain: not a directory");
        assertThatThrownBy(() -> facade.inject(r, new MountSpec(new MountSource.GuestFolder(o, GuestPath.parse("/nothing")),
                GuestPath.parse("/x"), Access.READ_ONLY, false)))
                .isInstanceOf(MountRefused.class).hasMessage("source /nothing: does not exist");
        assertThat(receiver.mountinfo()).isEqualTo(before);
    }

    @Test
    void controlTmpfsIsIdempotentAndNeverAGuestShareSource() throws Exception {
        Path control = hostDir.resolve("control");
        String device = facade.ensureTmpfs(control, 1 << 20, 64, 0711);
        try {
            assertThat(device).matches("\\d+:\\d+");
            assertThat(facade.ensureTmpfs(control, 1 << 20, 64, 0711)).isEqualTo(device);
            assertThat(hostMountinfo()).containsOnlyOnce(" " + control + " ");
            String line = hostMountinfo().lines().filter(l -> l.contains(" " + control + " ")).findFirst().orElseThrow();
            assertThat(line).contains(" - tmpfs phoenix-cast ").contains("nosuid").contains("nodev").contains("size=1024k");
            Files.createDirectory(control.resolve("sub"));
            // The admin-trusted host side may place castd's control tmpfs (that is how /.syscmd
            // reaches a guest), but a guest can never pass it on: as a guest source it is refused.
            TestContainer owner = container();
            TestContainer other = container();
            ContainerHandle o = open(owner);
            ContainerHandle r = open(other);
            facade.inject(o, hostSpec(control, "/ctl", Access.READ_WRITE));
            String before = other.mountinfo();
            for (String source : List.of("/ctl", "/ctl/sub")) {
                assertThatThrownBy(() -> facade.inject(r, new MountSpec(new MountSource.GuestFolder(o, GuestPath.parse(source)),
                        GuestPath.parse("/x"), Access.READ_ONLY, false)))
                        .isInstanceOf(MountRefused.class).hasMessageContaining("control directory");
            }
            assertThat(other.mountinfo()).isEqualTo(before);
        } finally {
            facade.removeTmpfs(control);
        }
        assertThat(hostMountinfo()).doesNotContain(" " + control + " ");
        facade.removeTmpfs(control); // nothing there any more: no error
    }

    @Test
    void detachRemovesOnlyTheNamedMount() throws Exception {
        TestContainer c = container();
        ContainerHandle h = open(c);
        long id = facade.inject(h, hostSpec(hostDir, "/share", Access.READ_WRITE));
        GuestPath target = GuestPath.parse("/share");
        String hostBefore = hostMountinfo();

        facade.detach(h, target, id + 1000);               // wrong id
        facade.detach(h, GuestPath.parse("/other"), id);   // wrong place
        facade.detach(h, GuestPath.ROOT, id);              // wrong place
        assertThat(facade.mountTable(h)).anyMatch(m -> m.mountId() == id);
        assertThat(c.check("cat /share/hello.txt")).isEqualTo("hello from host\n");

        long t0 = System.nanoTime();
        facade.detach(h, target, id);
        System.out.println("detach took " + (System.nanoTime() - t0) / 1000 + " us");
        assertThat(facade.mountTable(h)).noneMatch(m -> m.mountId() == id);
        assertThat(c.sh("cat /share/hello.txt").exit()).isNotZero();
        facade.detach(h, target, id); // already gone: nothing happens
        assertThat(hostMountinfo()).isEqualTo(hostBefore);
    }

    @Test
    void detachDoesNotUnmountAMountStackedOnTop() throws Exception {
        TestContainer c = container();
        ContainerHandle h = open(c);
        long id = facade.inject(h, hostSpec(hostDir, "/share", Access.READ_WRITE));
        // the guest mounts its own tmpfs over the share: the top mount at /share is not ours
        c.check("mount -t tmpfs guest-top /share && echo mine > /share/m");
        facade.detach(h, GuestPath.parse("/share"), id);
        assertThat(c.check("cat /share/m")).isEqualTo("mine\n");
    }

    @Test
    void deadContainerIsNotAliveAndInjectFailsCleanly() throws Exception {
        TestContainer c = container();
        ContainerHandle h = open(c);
        assertThat(h.isAlive()).isTrue();
        assertThat(h.startTime()).isPositive();
        c.kill();
        await().atMost(Duration.ofSeconds(10)).until(() -> !h.isAlive());
        String before = hostMountinfo();
        assertThatThrownBy(() -> facade.inject(h, hostSpec(hostDir, "/share", Access.READ_WRITE)))
                .isInstanceOf(MountRefused.class).hasMessageContaining("not running");
        assertThat(hostMountinfo()).isEqualTo(before);
        assertThatThrownBy(() -> facade.open(c.pid())).isInstanceOf(org.phoenixcast.linux.LinuxException.class);
    }

    @Test
    void mountTableDecodesHostileNames() throws Exception {
        TestContainer c = container();
        c.check("mkdir -p '/we ird' && mount -t tmpfs 'src name' '/we ird'");
        ContainerHandle h = open(c);
        assertThat(facade.mountTable(h)).anyMatch(m -> m.mountPoint().equals("/we ird") && m.source().equals("src name"));
        long id = facade.inject(h, hostSpec(hostDir, "/we ird/new line", Access.READ_WRITE));
        assertThat(facade.mountTable(h)).anyMatch(m -> m.mountId() == id && m.mountPoint().equals("/we ird/new line"));
    }

    @Test
    void racingGuestNeverRedirectsTheTarget() throws Exception {
        TestContainer c = container();
        // the guest flips /race between a directory and a symlink to / as fast as it can
        c.check("(while :; do rm -rf /race; mkdir -p /race; rm -rf /race; ln -s / /race; done)"
                + " </dev/null >/dev/null 2>&1 &");
        // the loop runs: /race is seen both as a symlink and as a directory
        await().atMost(Duration.ofSeconds(5)).until(() -> c.sh("test -L /race").exit() == 0);
        await().atMost(Duration.ofSeconds(5)).until(() -> c.sh("test -d /race && ! test -L /race").exit() == 0);
        ContainerHandle h = open(c);
        String hostBefore = hostMountinfo();
        int mounted = 0;
        int refused = 0;
        for (int i = 0; i < 300; i++) {
            try {
                long id = facade.inject(h, hostSpec(hostDir, "/race/x", Access.READ_ONLY));
                mounted++;
                MountInfo info = facade.mountTable(h).stream().filter(m -> m.mountId() == id).findFirst().orElse(null);
                // the guest may already have unlinked/renamed it; if listed, it is where asked or detached
                if (info != null) assertThat(info.mountPoint()).isEqualTo("/race/x");
                facade.detach(h, GuestPath.parse("/race/x"), id);
            } catch (MountRefused expected) {
                refused++;
            } catch (org.phoenixcast.linux.LinuxException raceLost) {
                // e.g. ENOENT when the guest removed a directory we had just created
                refused++;
            }
        }
        System.out.println("LinuxMountFacadeIT: target race: " + mounted + " mounted, " + refused + " refused");
        assertThat(hostMountinfo()).isEqualTo(hostBefore);
        assertThat(c.mountinfo()).doesNotContain(" /x ").doesNotContain(" /race/x/");
        assertThat(Files.exists(Path.of("/x"))).isFalse();
    }

    /**
     * The owner flips /srcp between its real folder (renamed into place and out again) and a
     * symlink to / or to /proc/1/root while castd injects /srcp/src into a receiver, thousands of
     * times. Each inject either fails cleanly or mounts the owner's real folder (the marker file
     * is there; the mount's root is that folder under either of its names), never the host's root,
     * another folder of the owner, or anything in the host's mount table. With -Dphoenix.full=true
     * 30,000 injects.
     */
    @Test
    void racingOwnerNeverRedirectsTheSource() throws Exception {
        TestContainer owner = container();
        TestContainer receiver = container();
        owner.check("rm -rf /src /srcp && mkdir -p /real/src && echo owner-marker > /real/src/MARKER");
        owner.check("(n=0; while :; do mv -T /real /srcp; mv -T /srcp /real; ln -s / /srcp; rm -f /srcp;"
                + " ln -s /proc/1/root /srcp; rm -f /srcp; n=$((n+1)); echo $n > /swaps.tmp; mv /swaps.tmp /swaps; done)"
                + " </dev/null >/dev/null 2>&1 &");
        await().atMost(Duration.ofSeconds(5)).until(() -> owner.sh("test -L /srcp").exit() == 0);
        ContainerHandle o = open(owner);
        ContainerHandle r = open(receiver);
        String hostBefore = hostMountinfo();
        String receiverBefore = receiver.mountinfo();
        MountSpec spec = new MountSpec(new MountSource.GuestFolder(o, GuestPath.parse("/srcp/src")),
                GuestPath.parse("/in"), Access.READ_ONLY, false);
        int injects = Boolean.getBoolean("phoenix.full") ? 30_000 : 3_000;
        int mounted = 0;
        int refused = 0;
        int markersRead = 0;
        java.util.Map<String, Integer> reasons = new java.util.TreeMap<>();
        long t0 = System.nanoTime();
        int made = 0;
        // at least the planned injects, and (bounded) until 20 of them won the race and mounted
        for (; made < injects || (mounted < 20 && System.nanoTime() - t0 < 30_000_000_000L); made++) {
            long id;
            try {
                id = facade.inject(r, spec);
            } catch (MountRefused | org.phoenixcast.linux.LinuxException e) {
                refused++;
                reasons.merge(e.getMessage().replaceAll("pid \\d+", "pid N"), 1, Integer::sum);
                continue;
            }
            mounted++;
            MountInfo info = facade.mountTable(r).stream().filter(m -> m.mountId() == id).findFirst().orElseThrow();
            assertThat(info.mountPoint()).isEqualTo("/in");
            assertThat(info.root()).as("the owner's real folder, under either name").matches(".*/(real|srcp)/src");
            if (markersRead < 20) {
                assertThat(receiver.check("cat /in/MARKER")).isEqualTo("owner-marker\n");
                markersRead++;
            }
            facade.detach(r, GuestPath.parse("/in"), id);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        String swaps = owner.check("cat /swaps").strip();
        System.out.printf("LinuxMountFacadeIT: source race: %d injects in %.1f s, %d mounted (the owner's folder each time, marker read in %d),"
                + " %d refused %s, owner's loop swapped %s times%n", made, seconds, mounted, markersRead, refused,
                reasons, swaps);
        assertThat(hostMountinfo()).isEqualTo(hostBefore);
        assertThat(receiver.mountinfo()).isEqualTo(receiverBefore);
        assertThat(mounted).as("the race let some injects through").isPositive();
        assertThat(refused).as("the race made some injects fail").isPositive();
        assertThat(Long.parseLong(swaps)).isPositive();
    }

    @Test
    void injectAndDetachLatency() throws Exception {
        TestContainer c = container();
        ContainerHandle h = open(c);
        c.check("mkdir /lat");
        int n = 200;
        long[] inject = new long[n];
        long[] detach = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            long id = facade.inject(h, hostSpec(hostDir, "/lat", Access.READ_ONLY));
            long t1 = System.nanoTime();
            facade.detach(h, GuestPath.parse("/lat"), id);
            long t2 = System.nanoTime();
            inject[i] = (t1 - t0) / 1000;
            detach[i] = (t2 - t1) / 1000;
        }
        java.util.Arrays.sort(inject);
        java.util.Arrays.sort(detach);
        System.out.printf("latency over %d runs: inject median %d us (p90 %d), detach median %d us (p90 %d)%n",
                n, inject[n / 2], inject[n * 9 / 10], detach[n / 2], detach[n * 9 / 10]);
        assertThat(inject[n / 2]).isLessThan(50_000);
        assertThat(c.mountinfo()).doesNotContain(" /lat ");
    }

    @Test
    void startupFailsWithOneLineWhenProbed() {
        // The running kernel has everything: the probe reports nothing missing.
        assertThat(org.phoenixcast.linux.MountApi.probe()).isNull();
    }
}
