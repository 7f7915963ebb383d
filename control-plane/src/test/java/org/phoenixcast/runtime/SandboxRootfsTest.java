package org.phoenixcast.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.phoenixcast.model.ContainerName;

/** Root directory seeding against a fake merged-/usr host; needs no privileges. */
class SandboxRootfsTest {
    @TempDir
    Path tmp;
    Path host;
    Path root;
    SandboxRootfs rootfs;

    @BeforeEach
    void fakeMergedUsrHost() throws IOException {
        host = Files.createDirectory(tmp.resolve("host"));
        Files.createDirectories(host.resolve("usr/bin"));
        Files.createDirectories(host.resolve("etc"));
        Files.writeString(host.resolve("etc/resolv.conf"), "nameserver 192.0.2.53\n");
        Files.createSymbolicLink(host.resolve("bin"), Path.of("usr/bin"));
        Files.createSymbolicLink(host.resolve("lib64"), Path.of("usr/lib64"));
        Files.createDirectory(host.resolve("lib32")); // a real directory next to the symlinks
        rootfs = new SandboxRootfs(host);
        root = tmp.resolve("root");
    }

    @Test
    void recreatesTheHostsSymlinksAndMountPointsOnlyForWhatExists() throws IOException {
        rootfs.seed(root, ContainerName.parse("box1"));

        assertThat(Files.readSymbolicLink(root.resolve("bin"))).isEqualTo(Path.of("usr/bin"));
        assertThat(Files.readSymbolicLink(root.resolve("lib64"))).isEqualTo(Path.of("usr/lib64"));
        assertThat(root.resolve("usr")).isDirectory();
        assertThat(root.resolve("lib32")).isDirectory();
        assertThat(root.resolve("sbin")).doesNotExist();
        assertThat(root.resolve("libx32")).doesNotExist();
    }

    @Test
    void seedsAMinimalEtcWithTheSandboxName() throws IOException {
        rootfs.seed(root, ContainerName.parse("box1"));

        assertThat(root.resolve("etc/passwd")).content().startsWith("root:x:0:0:");
        assertThat(root.resolve("etc/group")).content().startsWith("root:x:0:");
        assertThat(root.resolve("etc/hostname")).hasContent("box1");
        assertThat(root.resolve("etc/hosts")).content().contains("box1");
        assertThat(root.resolve("etc/resolv.conf")).hasContent("nameserver 192.0.2.53");
    }

    @Test
    void givesDirectoriesTheirModesRegardlessOfUmask() throws IOException {
        rootfs.seed(root, ContainerName.parse("box1"));

        assertThat(mode(root)).isEqualTo(0755);
        assertThat(mode(root.resolve("root"))).isEqualTo(0700);
        assertThat(mode(root.resolve("tmp"))).isEqualTo(01777);
        assertThat(mode(root.resolve("var/tmp"))).isEqualTo(01777);
        assertThat(mode(root.resolve("proc"))).isEqualTo(0555);
        for (String d : new String[] {"etc", "srv", "var", "home", "dev", "run"}) {
            assertThat(root.resolve(d)).isDirectory();
        }
    }

    @Test
    void bindsOnlyRealHostDirectoriesAndRepairsDeletedMountPoints() throws IOException {
        rootfs.seed(root, ContainerName.parse("box1"));
        Files.delete(root.resolve("tmp"));

        assertThat(rootfs.prepareStart(root)).containsExactly("usr", "lib32");
        assertThat(root.resolve("tmp")).isDirectory();
    }

    @Test
    void refusesToStartWhenTheGuestReplacedAMountPointWithASymlink() throws IOException {
        rootfs.seed(root, ContainerName.parse("box1"));
        Files.delete(root.resolve("dev"));
        Files.createSymbolicLink(root.resolve("dev"), Path.of("/etc"));

        assertThatThrownBy(() -> rootfs.prepareStart(root))
                .hasMessageContaining(root.resolve("dev").toString())
                .hasMessageContaining("not a directory");
    }

    @Test
    void refusesToBindOverAFileWhereTheHostHasADirectory() throws IOException {
        rootfs.seed(root, ContainerName.parse("box1"));
        Files.delete(root.resolve("usr"));
        Files.writeString(root.resolve("usr"), "not a directory");

        assertThatThrownBy(() -> rootfs.prepareStart(root)).hasMessageContaining("usr");
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }
}
