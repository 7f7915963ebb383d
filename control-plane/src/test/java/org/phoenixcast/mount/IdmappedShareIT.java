package org.phoenixcast.mount;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.phoenixcast.linux.TestContainer;
import org.phoenixcast.linux.UsernsTestContainer;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.testing.RequiresRoot;

/**
 * Shares between user-namespaced containers, privileged ones and the host keep owners: a file
 * the owner sees as uid n shows as uid n in the receiver, and what the receiver writes lands on
 * disk as the owner's ids. Real user namespaces (ids 0..65535 of a container are host ids
 * base..), real busybox containers on a host directory, real idmapped mounts.
 */
@RequiresRoot(tools = {"unshare", "nsenter", "busybox", "chown"})
class IdmappedShareIT {
    private static final long A_BASE = 100000;
    private static final long B_BASE = 200000;
    private static final long RANGE = 65536;

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

    /** A host folder: files of host root, of host uid 1000, of host uid 70000 and a dir of 1000. */
    @BeforeEach
    void hostShare() throws Exception {
        hostDir = Files.createTempDirectory("pc-idmap");
        Files.setPosixFilePermissions(hostDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(hostDir.resolve("root-file"), "r\n");
        Files.writeString(hostDir.resolve("u1000-file"), "u\n");
        Files.writeString(hostDir.resolve("u70000-file"), "far\n");
        Files.createDirectory(hostDir.resolve("u1000-dir"));
        chown(hostDir.resolve("u1000-file"), 1000);
        chown(hostDir.resolve("u1000-dir"), 1000);
        chown(hostDir.resolve("u70000-file"), 70000);
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) cleanup.get(i).close();
        deleteTree(hostDir);
    }

    private UsernsTestContainer userns(long base) throws Exception {
        UsernsTestContainer c = UsernsTestContainer.start(base, RANGE);
        cleanup.add(c);
        return c;
    }

    private UsernsTestContainer privileged() throws Exception {
        UsernsTestContainer c = UsernsTestContainer.privileged();
        cleanup.add(c);
        return c;
    }

    private ContainerHandle open(UsernsTestContainer c) throws Exception {
        ContainerHandle h = facade.open(c.pid());
        cleanup.add(h);
        return h;
    }

    private static MountSpec host(Path source, String target, Access access) {
        return new MountSpec(new MountSource.HostPath(source), GuestPath.parse(target), access, false);
    }

    private static MountSpec guest(ContainerHandle owner, String path, String target, Access access) {
        return new MountSpec(new MountSource.GuestFolder(owner, GuestPath.parse(path)), GuestPath.parse(target), access,
                false);
    }

    private static UserNamespace ns(long base) {
        IdMap m = IdMap.parse("0 " + base + " " + RANGE);
        return new UserNamespace(m, m);
    }

    /** "uid:gid" of each path, as the container sees them. */
    private static String owners(UsernsTestContainer c, String... paths) throws Exception {
        return c.check("stat -c '%u:%g' " + String.join(" ", paths)).strip().replace('\n', ' ');
    }

    private static String onDisk(Path p) throws Exception {
        return Files.getAttribute(p, "unix:uid") + ":" + Files.getAttribute(p, "unix:gid");
    }

    private static List<String> options(UsernsTestContainer c, String target) throws Exception {
        String line = c.mountinfoLine(target);
        assertThat(line).as("mountinfo line of " + target).isNotEmpty();
        return Arrays.asList(line.split(" ")[5].split(","));
    }

    /** A container owner's folder /data/share: a file of its root and one of its uid 5, a dir of its uid 7. */
    private static void ownerFiles(UsernsTestContainer owner) throws Exception {
        owner.check("mkdir -p /data/share/seven && echo r > /data/share/root-file && echo f > /data/share/five-file"
                + " && chown 5:5 /data/share/five-file && chown 7:7 /data/share/seven");
    }

    @Test
    void handlesReportTheContainersUserNamespaces() throws Exception {
        assertThat(open(userns(A_BASE)).userNamespace()).isEqualTo(ns(A_BASE));
        assertThat(open(privileged()).userNamespace()).isEqualTo(UserNamespace.INITIAL);
    }

    @Test
    void hostFolderShowsHostOwnersInAUsernsReceiverAndItsWritesLandAsThem() throws Exception {
        UsernsTestContainer b = userns(B_BASE);
        ContainerHandle hb = open(b);
        long created = facade.idmapNamespaces().createdCount();
        facade.inject(hb, host(hostDir, "/in", Access.READ_WRITE));

        assertThat(owners(b, "/in/root-file", "/in/u1000-file", "/in/u70000-file"))
                .isEqualTo("0:0 1000:1000 65534:65534");
        b.check("echo b > /in/by-root && mkdir /in/dir-by-root");
        assertThat(onDisk(hostDir.resolve("by-root"))).isEqualTo("0:0");
        assertThat(onDisk(hostDir.resolve("dir-by-root"))).isEqualTo("0:0");
        assertThat(b.shAs(1000, "echo u > /in/u1000-dir/by-1000").exit()).isZero();
        assertThat(onDisk(hostDir.resolve("u1000-dir/by-1000"))).isEqualTo("1000:1000");
        // an id the receiver cannot represent stays the host's: unwritable even for its root
        TestContainer.Result far = b.sh("echo x >> /in/u70000-file");
        assertThat(far.exit()).isNotZero();
        assertThat(Files.readString(hostDir.resolve("u70000-file"))).isEqualTo("far\n");

        assertThat(options(b, "/in")).contains("rw", "nosuid", "nodev", "idmapped");
        // the receiver's own namespace is the idmap: nothing created
        assertThat(facade.idmapNamespaces().createdCount()).isEqualTo(created);
    }

    @Test
    void usernsOwnerToUsernsReceiverWithOtherRangesKeepsTheOwnersView() throws Exception {
        UsernsTestContainer a = userns(A_BASE);
        UsernsTestContainer b = userns(B_BASE);
        ownerFiles(a);
        assertThat(onDisk(a.onDisk("/data/share/root-file"))).isEqualTo("100000:100000");
        ContainerHandle ha = open(a);
        ContainerHandle hb = open(b);
        facade.inject(hb, guest(ha, "/data/share", "/in", Access.READ_WRITE));

        assertThat(owners(b, "/in/root-file", "/in/five-file", "/in/seven")).isEqualTo("0:0 5:5 7:7");
        b.check("echo b > /in/by-b-root");
        assertThat(b.shAs(7, "echo s > /in/seven/by-b-7").exit()).isZero();
        assertThat(onDisk(a.onDisk("/data/share/by-b-root"))).isEqualTo("100000:100000");
        assertThat(onDisk(a.onDisk("/data/share/seven/by-b-7"))).isEqualTo("100007:100007");
        assertThat(owners(a, "/data/share/by-b-root", "/data/share/seven/by-b-7")).isEqualTo("0:0 7:7");
        assertThat(options(b, "/in")).contains("idmapped", "nosuid", "nodev");
    }

    @Test
    void usernsOwnerToPrivilegedReceiverShowsTheOwnersIdsAsHostIds() throws Exception {
        UsernsTestContainer a = userns(A_BASE);
        UsernsTestContainer p = privileged();
        ownerFiles(a);
        ContainerHandle ha = open(a);
        ContainerHandle hp = open(p);
        facade.inject(hp, guest(ha, "/data/share", "/in", Access.READ_WRITE));

        assertThat(owners(p, "/in/root-file", "/in/five-file")).isEqualTo("0:0 5:5");
        p.check("echo p > /in/by-p-root");
        assertThat(onDisk(a.onDisk("/data/share/by-p-root"))).isEqualTo("100000:100000");
        assertThat(owners(a, "/data/share/by-p-root")).isEqualTo("0:0");
        assertThat(options(p, "/in")).contains("idmapped");
    }

    @Test
    void privilegedOwnerToUsernsReceiverShowsHostOwners() throws Exception {
        UsernsTestContainer p = privileged();
        UsernsTestContainer b = userns(B_BASE);
        ownerFiles(p);
        ContainerHandle hp = open(p);
        ContainerHandle hb = open(b);
        facade.inject(hb, guest(hp, "/data/share", "/in", Access.READ_WRITE));

        assertThat(owners(b, "/in/root-file", "/in/five-file")).isEqualTo("0:0 5:5");
        b.check("echo b > /in/by-b-root");
        assertThat(onDisk(p.onDisk("/data/share/by-b-root"))).isEqualTo("0:0");
        assertThat(options(b, "/in")).contains("idmapped");
    }

    @Test
    void sharesBetweenAlikeNamespacesAreNotIdmapped() throws Exception {
        UsernsTestContainer p1 = privileged();
        UsernsTestContainer p2 = privileged();
        UsernsTestContainer a1 = userns(A_BASE);
        UsernsTestContainer a2 = userns(A_BASE);
        ownerFiles(p1);
        ownerFiles(a1);
        ContainerHandle h1 = open(p1);
        ContainerHandle h2 = open(p2);
        ContainerHandle ha1 = open(a1);
        ContainerHandle ha2 = open(a2);
        long created = facade.idmapNamespaces().createdCount();

        facade.inject(h2, guest(h1, "/data/share", "/in", Access.READ_WRITE));
        facade.inject(h2, host(hostDir, "/host", Access.READ_WRITE));
        facade.inject(ha2, guest(ha1, "/data/share", "/in", Access.READ_WRITE));

        assertThat(options(p2, "/in")).doesNotContain("idmapped");
        assertThat(options(p2, "/host")).doesNotContain("idmapped");
        assertThat(options(a2, "/in")).doesNotContain("idmapped");
        assertThat(owners(a2, "/in/root-file", "/in/five-file")).isEqualTo("0:0 5:5");
        a2.check("echo x > /in/by-a2");
        assertThat(onDisk(a1.onDisk("/data/share/by-a2"))).isEqualTo("100000:100000");
        assertThat(facade.idmapNamespaces().createdCount()).isEqualTo(created);
    }

    @Test
    void castdsControlDirectoriesAreNeverIdmapped() throws Exception {
        UsernsTestContainer b = userns(B_BASE);
        ContainerHandle hb = open(b);
        Path control = hostDir.resolve("control");
        facade.ensureTmpfs(control, 1 << 20, 64, 01733);
        try {
            facade.inject(hb, new MountSpec(new MountSource.HostPath(control), GuestPath.parse("/.syscmd"),
                    Access.READ_WRITE, true));
            assertThat(options(b, "/.syscmd")).doesNotContain("idmapped").contains("noexec", "nosuid", "nodev");
            b.check("echo req > /.syscmd/request"); // mode 1733 works with an unmapped owner
            assertThat(onDisk(control.resolve("request"))).isEqualTo(B_BASE + ":" + B_BASE);
        } finally {
            facade.removeTmpfs(control);
        }
    }

    @Test
    void readOnlyIdmappedSharesStayLockedAgainstAUsernsReceiversRoot() throws Exception {
        UsernsTestContainer a = userns(A_BASE);
        UsernsTestContainer b = userns(B_BASE);
        ownerFiles(a);
        ContainerHandle ha = open(a);
        ContainerHandle hb = open(b);
        // control: this guest root can remount its own read-only bind mounts rw
        b.check("mkdir /own && mount --bind /tmp /own && mount -o remount,bind,ro /own && mount -o remount,bind,rw /own");

        facade.inject(hb, host(hostDir, "/ro-host", Access.READ_ONLY));
        facade.inject(hb, guest(ha, "/data/share", "/ro-guest", Access.READ_ONLY));

        assertThat(owners(b, "/ro-host/root-file", "/ro-host/u1000-file")).isEqualTo("0:0 1000:1000");
        assertThat(owners(b, "/ro-guest/root-file", "/ro-guest/five-file")).isEqualTo("0:0 5:5");
        for (String target : List.of("/ro-host", "/ro-guest")) {
            for (String opts : List.of("remount,bind,rw", "remount,rw", "remount,bind,rw,nosuid,nodev",
                    "remount,bind,ro,suid")) {
                TestContainer.Result r = b.sh("mount -o " + opts + " " + target);
                assertThat(r.exit()).as(target + " " + opts).isNotZero();
                assertThat(r.stderr()).as(target + " " + opts).containsIgnoringCase("permission denied");
            }
            TestContainer.Result write = b.sh("touch " + target + "/nope");
            assertThat(write.exit()).isNotZero();
            assertThat(write.stderr()).contains("Read-only file system");
            assertThat(options(b, target)).contains("ro", "nosuid", "nodev", "idmapped");
        }
        assertThat(Files.exists(hostDir.resolve("nope"))).isFalse();
    }

    @Test
    void anIdmappedSourceIsMappedAgainFromItsOwnersView() throws Exception {
        // like the root of systemd-nspawn -U: the owner's folder is itself an idmapped mount
        UsernsTestContainer a = userns(A_BASE);
        UsernsTestContainer b = userns(B_BASE);
        UsernsTestContainer p = privileged();
        ContainerHandle ha = open(a);
        ContainerHandle hb = open(b);
        ContainerHandle hp = open(p);
        facade.inject(ha, host(hostDir, "/mapped", Access.READ_WRITE));
        assertThat(owners(a, "/mapped/root-file", "/mapped/u1000-file")).isEqualTo("0:0 1000:1000");

        facade.inject(hb, guest(ha, "/mapped", "/again", Access.READ_WRITE));
        facade.inject(hp, guest(ha, "/mapped", "/again", Access.READ_WRITE));

        assertThat(owners(b, "/again/root-file", "/again/u1000-file")).isEqualTo("0:0 1000:1000");
        assertThat(owners(p, "/again/root-file", "/again/u1000-file", "/again/u70000-file"))
                .isEqualTo("0:0 1000:1000 65534:65534"); // A cannot see 70000 either
        b.check("echo b > /again/by-b-root");
        assertThat(onDisk(hostDir.resolve("by-b-root"))).isEqualTo("0:0");
        assertThat(options(b, "/again")).contains("idmapped");
    }

    @Test
    void aTmpfsTheOwnerMountedItselfKeepsTheOwnersView() throws Exception {
        // its file system belongs to the owner's user namespace: inode ids are relative to it
        UsernsTestContainer a = userns(A_BASE);
        UsernsTestContainer b = userns(B_BASE);
        UsernsTestContainer p = privileged();
        a.check("mkdir /data/own-tmpfs && mount -t tmpfs own /data/own-tmpfs && echo x > /data/own-tmpfs/f"
                + " && touch /data/own-tmpfs/five && chown 5:5 /data/own-tmpfs/five");
        ContainerHandle ha = open(a);
        ContainerHandle hb = open(b);
        ContainerHandle hp = open(p);
        facade.inject(hb, guest(ha, "/data/own-tmpfs", "/in", Access.READ_WRITE));
        facade.inject(hp, guest(ha, "/data/own-tmpfs", "/in", Access.READ_WRITE));

        assertThat(owners(b, "/in/f", "/in/five")).isEqualTo("0:0 5:5");
        assertThat(owners(p, "/in/f", "/in/five")).isEqualTo("0:0 5:5");
        b.check("echo b > /in/by-b-root");
        p.check("echo p > /in/by-p-root");
        assertThat(owners(a, "/data/own-tmpfs/by-b-root", "/data/own-tmpfs/by-p-root")).isEqualTo("0:0 0:0");
        assertThat(options(b, "/in")).contains("idmapped");
    }

    @Test
    void refusesWithOneLineWhenTheFileSystemCannotBeIdmapped() throws Exception {
        UsernsTestContainer p = privileged();
        UsernsTestContainer b = userns(B_BASE);
        p.check("mkdir /data/ram && mount -t ramfs ram /data/ram && echo x > /data/ram/f");
        ContainerHandle hp = open(p);
        ContainerHandle hb = open(b);
        String before = b.check("cat /proc/self/mountinfo");

        assertThatThrownBy(() -> facade.inject(hb, guest(hp, "/data/ram", "/in", Access.READ_WRITE)))
                .isInstanceOf(MountRefused.class)
                .hasMessage("cannot map owners: the filesystem of /data/ram does not support idmapped mounts");
        assertThatThrownBy(() -> facade.inject(hb, guest(hp, "/data/ram", "/in", Access.READ_ONLY)))
                .isInstanceOf(MountRefused.class);
        assertThat(b.check("cat /proc/self/mountinfo")).isEqualTo(before);
        assertThat(b.sh("test -e /in").exit()).isNotZero();
        // the same folder between alike namespaces needs no idmap and still works
        UsernsTestContainer p2 = privileged();
        facade.inject(open(p2), guest(hp, "/data/ram", "/in", Access.READ_WRITE));
        assertThat(p2.check("cat /in/f")).isEqualTo("x\n");
    }

    @Test
    void idsTheReceiverCannotRepresentShowAsNobodyAndStayUnwritable() throws Exception {
        UsernsTestContainer a = userns(A_BASE);
        UsernsTestContainer tiny = UsernsTestContainer.start(300000, 1); // only its root exists
        cleanup.add(tiny);
        a.check("mkdir -p /data/far && chown 1000:1000 /data/far && chmod 755 /data/far");
        ContainerHandle ha = open(a);
        ContainerHandle ht = open(tiny);
        facade.inject(ht, guest(ha, "/data", "/in", Access.READ_WRITE));
        assertThat(owners(tiny, "/in", "/in/far")).isEqualTo("0:0 65534:65534");
        tiny.check("echo t > /in/by-tiny-root");
        assertThat(onDisk(a.onDisk("/data/by-tiny-root"))).isEqualTo("100000:100000");
        assertThat(tiny.sh("echo t > /in/far/x").exit()).isNotZero();
    }

    private static void chown(Path p, int id) throws Exception {
        Files.setAttribute(p, "unix:uid", id);
        Files.setAttribute(p, "unix:gid", id);
    }

    static void deleteTree(Path dir) throws Exception {
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
