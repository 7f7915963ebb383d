package org.phoenixcast.mount;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.phoenixcast.linux.Errno;
import org.phoenixcast.linux.Fd;
import org.phoenixcast.linux.Kernel;
import org.phoenixcast.linux.MountApi;
import org.phoenixcast.linux.NamespaceThread;
import org.phoenixcast.testing.RequiresRoot;
import org.phoenixcast.linux.TestContainer;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.GuestPath;

/**
 * Read-only shares stay read-only against the receiver's own root: the receiver (an unshare
 * container, root with CAP_SYS_ADMIN over its mount namespace) cannot remount them rw, and
 * neither can host root through mount_setattr. Read-write shares never touch the lock.
 */
@RequiresRoot
class ReadOnlyLockIT {
    private static Path runtime;
    private static LinuxMountFacade facade;
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private Path hostDir;

    @BeforeAll
    static void startFacade() throws Exception {
        runtime = Files.createTempDirectory("pc-run");
        facade = LinuxMountFacade.start(runtime);
    }

    @AfterAll
    static void stopFacade() throws Exception {
        if (facade != null) facade.close();
        deleteTree(runtime);
    }

    @BeforeEach
    void hostShare() throws Exception {
        hostDir = Files.createTempDirectory("pc-ro");
        Files.writeString(hostDir.resolve("hello.txt"), "hello\n");
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) cleanup.get(i).close();
        deleteTree(hostDir);
    }

    private TestContainer container() throws Exception {
        TestContainer c = TestContainer.start();
        cleanup.add(c);
        return c;
    }

    private ContainerHandle open(LinuxMountFacade f, TestContainer c) throws Exception {
        ContainerHandle h = f.open(c.pid());
        cleanup.add(h);
        return h;
    }

    private static MountSpec spec(Path source, String target, Access access) {
        return new MountSpec(new MountSource.HostPath(source), GuestPath.parse(target), access, false);
    }

    private static String hostMountinfo() throws Exception {
        return Files.readString(Path.of("/proc/self/mountinfo"));
    }

    /** Every way a guest root could try to make the share writable again fails; writes get EROFS. */
    private static void assertLockedReadOnly(TestContainer c, String target) throws Exception {
        for (String options : List.of("remount,bind,rw", "remount,rw", "remount,bind,rw,suid", "remount,bind,ro,suid",
                "remount,bind,ro,dev", "remount,bind,rw,nosuid,nodev")) {
            TestContainer.Result r = c.sh("mount -o " + options + " " + target);
            assertThat(r.exit()).as(options).isNotZero();
            assertThat(r.stderr()).as(options).containsIgnoringCase("permission denied");
        }
        TestContainer.Result write = c.sh("touch " + target + "/nope");
        assertThat(write.exit()).isNotZero();
        assertThat(write.stderr()).contains("Read-only file system");
        String line = c.mountinfo().lines().filter(l -> l.split(" ")[4].equals(target)).reduce((a, b) -> b).orElseThrow();
        assertThat(Arrays.asList(line.split(" ")[5].split(","))).contains("ro", "nosuid", "nodev");
    }

    @Test
    void receiverRootCannotRemountAReadOnlyShareWritable() throws Exception {
        TestContainer c = container();
        ContainerHandle h = open(facade, c);
        // Control: this guest root can remount its own read-only bind mounts rw.
        c.check("mkdir /own && mount --bind /tmp /own && mount -o remount,bind,ro /own && mount -o remount,bind,rw /own");

        facade.inject(h, spec(hostDir, "/ro", Access.READ_ONLY));
        assertThat(c.check("cat /ro/hello.txt")).isEqualTo("hello\n");
        assertLockedReadOnly(c, "/ro");
        assertThat(Files.exists(hostDir.resolve("nope"))).isFalse();
    }

    @Test
    void evenHostRootCannotClearTheLockedFlagsWithMountSetattr() throws Exception {
        TestContainer c = container();
        ContainerHandle h = open(facade, c);
        facade.inject(h, spec(hostDir, "/ro", Access.READ_ONLY));
        try (NamespaceThread thread = NamespaceThread.start(5_000);
             Fd pidfd = MountApi.pidfdOpen(c.pid());
             Fd root = Kernel.openHost(Path.of("/proc/" + c.pid() + "/root"), Kernel.O_PATH | Kernel.O_DIRECTORY)) {
            int[] errnos = thread.inside(pidfd, () -> {
                try (Fd target = Kernel.openat2(root, "/ro", Kernel.O_PATH | Kernel.O_DIRECTORY, Kernel.RESOLVE_IN_ROOT)) {
                    return new int[] {
                        MountApi.trySetAttributes(target, 0, MountApi.MOUNT_ATTR_RDONLY, 0),
                        MountApi.trySetAttributes(target, 0, MountApi.MOUNT_ATTR_NOSUID, 0),
                        MountApi.trySetAttributes(target, 0, MountApi.MOUNT_ATTR_NODEV, 0)};
                }
            });
            assertThat(errnos).containsOnly(Errno.EPERM);
        }
        assertLockedReadOnly(c, "/ro");
    }

    @Test
    void guestToGuestReadOnlyShareIsLockedToo() throws Exception {
        TestContainer owner = container();
        TestContainer receiver = container();
        owner.check("mkdir /data && echo mine > /data/f");
        ContainerHandle o = open(facade, owner);
        ContainerHandle r = open(facade, receiver);
        facade.inject(r, new MountSpec(new MountSource.GuestFolder(o, GuestPath.parse("/data")), GuestPath.parse("/in"),
                Access.READ_ONLY, false));
        assertThat(receiver.check("cat /in/f")).isEqualTo("mine\n");
        assertLockedReadOnly(receiver, "/in");
        owner.check("echo still-writable > /data/g"); // the owner's own mount is untouched
        assertThat(receiver.check("cat /in/g")).isEqualTo("still-writable\n");
    }

    @Test
    void readWriteSharesNeverGoThroughTheLock() throws Exception {
        TestContainer c = container();
        ContainerHandle h = open(facade, c);
        long before = facade.readOnlyLock().stagedCount();
        facade.inject(h, spec(hostDir, "/rw1", Access.READ_WRITE));
        facade.inject(h, new MountSpec(new MountSource.HostPath(hostDir), GuestPath.parse("/rw2"), Access.READ_WRITE, true));
        assertThat(facade.readOnlyLock().stagedCount()).isEqualTo(before);
        c.check("echo w > /rw1/w && mount -o remount,bind,ro /rw1 && mount -o remount,bind,rw /rw1");
        assertThat(Files.readString(hostDir.resolve("w"))).isEqualTo("w\n");

        facade.inject(h, spec(hostDir, "/ro", Access.READ_ONLY));
        assertThat(facade.readOnlyLock().stagedCount()).isEqualTo(before + 1);
    }

    @Test
    void readOnlyInjectLeavesTheHostTableAndTheLockNamespaceAsTheyWere() throws Exception {
        TestContainer c = container();
        ContainerHandle h = open(facade, c);
        String before = hostMountinfo();
        assertThat(before).contains(" " + facade.readOnlyLock().stagingDirectory() + " ");
        for (int i = 0; i < 5; i++) facade.inject(h, spec(hostDir, "/ro" + i, Access.READ_ONLY));
        assertThat(hostMountinfo()).isEqualTo(before);
        assertThat(facade.readOnlyLock().slotIsEmpty()).isTrue();
    }

    @Test
    void noHelperProcessStaysAndCloseLeavesNoStagingMount() throws Exception {
        Path run = Files.createTempDirectory("pc-run-own");
        try {
            LinuxMountFacade own = LinuxMountFacade.start(run);
            Path staging;
            long helper;
            try {
                helper = own.readOnlyLock().helperPid();
                assertThat(ProcessHandle.of(helper).map(ProcessHandle::isAlive).orElse(false)).isFalse();
                staging = own.readOnlyLock().stagingDirectory();
                assertThat(hostMountinfo()).contains(" " + staging + " ");
                TestContainer c = container();
                ContainerHandle h = open(own, c);
                // with no helper process alive, read-only injects work: the namespace fd keeps it
                own.inject(h, spec(hostDir, "/ro", Access.READ_ONLY));
                assertLockedReadOnly(c, "/ro");
                h.close();
            } finally {
                own.close();
            }
            assertThat(hostMountinfo()).doesNotContain(run.toString());
            try (Stream<Path> left = Files.list(run)) {
                assertThat(left.toList()).isEmpty();
            }
            assertThat(ProcessHandle.of(helper).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(ProcessHandle.allProcesses()
                    .filter(p -> Arrays.asList(p.info().arguments().orElse(new String[0])).contains("castd-ro-lock"))
                    .toList()).isEmpty();
        } finally {
            deleteTree(run);
        }
    }

    @Test
    void aBrokenLockNamespaceIsRebuiltOnTheNextReadOnlyInject() throws Exception {
        Path run = Files.createTempDirectory("pc-run-broken");
        try (LinuxMountFacade own = LinuxMountFacade.start(run)) {
            TestContainer c = container();
            ContainerHandle h = open(own, c);
            Path staging = own.readOnlyLock().stagingDirectory();
            // someone unmounts castd's staging mount: nothing propagates any more
            Process umount = new ProcessBuilder("umount", "-l", staging.toString()).inheritIO().start();
            assertThat(umount.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(umount.exitValue()).isZero();

            own.inject(h, spec(hostDir, "/ro", Access.READ_ONLY));
            assertLockedReadOnly(c, "/ro");
            Path rebuilt = own.readOnlyLock().stagingDirectory();
            assertThat(rebuilt).isNotEqualTo(staging);
            assertThat(Files.exists(staging)).isFalse();
            assertThat(hostMountinfo()).contains(" " + rebuilt + " ");
        } finally {
            assertThat(hostMountinfo()).doesNotContain(run.toString());
            deleteTree(run);
        }
    }

    @Test
    void latencyOfReadOnlyVersusReadWriteInjects() throws Exception {
        TestContainer c = container();
        ContainerHandle h = open(facade, c);
        int runs = 200;
        long[] rw = new long[runs];
        long[] ro = new long[runs];
        for (int i = 0; i < 20; i++) { // JIT warm-up, not measured
            facade.detach(h, GuestPath.parse("/w" + i), facade.inject(h, spec(hostDir, "/w" + i, Access.READ_WRITE)));
            facade.detach(h, GuestPath.parse("/w" + i), facade.inject(h, spec(hostDir, "/w" + i, Access.READ_ONLY)));
        }
        for (int i = 0; i < runs; i++) {
            GuestPath t = GuestPath.parse("/lat" + (i % 10));
            long t0 = System.nanoTime();
            long id = facade.inject(h, spec(hostDir, t.value(), Access.READ_WRITE));
            rw[i] = System.nanoTime() - t0;
            facade.detach(h, t, id);
            t0 = System.nanoTime();
            id = facade.inject(h, spec(hostDir, t.value(), Access.READ_ONLY));
            ro[i] = System.nanoTime() - t0;
            facade.detach(h, t, id);
        }
        Arrays.sort(rw);
        Arrays.sort(ro);
        System.out.printf("inject latency over %d runs: read-write median %d us (p90 %d us), "
                + "read-only locked median %d us (p90 %d us)%n", runs, rw[runs / 2] / 1000, rw[runs * 9 / 10] / 1000,
                ro[runs / 2] / 1000, ro[runs * 9 / 10] / 1000);
        assertThat(ro[runs / 2]).isLessThan(TimeUnit.MILLISECONDS.toNanos(50));
    }

    private static void deleteTree(Path dir) throws Exception {
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
