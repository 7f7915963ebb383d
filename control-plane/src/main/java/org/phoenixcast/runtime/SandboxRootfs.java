package org.phoenixcast.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.phoenixcast.model.ContainerName;

/**
 * The host-side half of a sandbox's root directory: seeding it once at create, and checking its
 * mount points before each start.
 *
 * <p>Guest influence: after the first start the guest's root user owns everything inside
 * {@code root/}; it may replace a mount point with a symlink or a file while it runs. The checks
 * here run while the sandbox is stopped (so nothing races them) and never follow a symlink: a
 * mount point that is not a real directory makes the start fail instead of letting {@code mount}
 * follow it. The directory {@code root/} itself cannot be swapped by the guest (it is the guest's
 * "/", and its parent is a host-only 0700 directory).
 */
final class SandboxRootfs {
    /**
     * Host directories the sandbox borrows read-only. On merged-/usr hosts all but /usr are
     * symlinks, which the sandbox gets as the same (relative) symlinks into its own /usr.
     */
    static final List<String> HOST_SYSTEM_DIRS =
            List.of("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32");

    /** Mount points that get a fresh mount on every start (tmpfs, procfs). */
    static final List<String> PER_START_MOUNT_POINTS = List.of("tmp", "run", "dev", "proc");

    /** Directories that persist across restarts, with the modes a Debian root file system uses. */
    private static final List<Dir> PERSISTENT_DIRS = List.of(
            new Dir("etc", 0755), new Dir("srv", 0755), new Dir("var", 0755),
            new Dir("var/tmp", 01777), new Dir("var/log", 0755), new Dir("root", 0700),
            new Dir("home", 0755), new Dir("mnt", 0755), new Dir("opt", 0755));

    private static final List<Dir> MOUNT_POINT_DIRS = List.of(
            new Dir("tmp", 01777), new Dir("run", 0755), new Dir("dev", 0755), new Dir("proc", 0555));

    private record Dir(String path, int mode) {}

    private final Path hostRoot;

    /** @param hostRoot the host's "/" (a parameter so tests can fake a host layout) */
    SandboxRootfs(Path hostRoot) {
        this.hostRoot = hostRoot;
    }

    /**
     * Builds a new root directory: system dir mount points or symlinks, persistent and per-start
     * directories, and a minimal /etc. Must be called on a directory that does not exist yet.
     */
    void seed(Path root, ContainerName name) throws IOException {
        mkdir(root, 0755);
        for (String d : HOST_SYSTEM_DIRS) {
            Path host = hostRoot.resolve(d);
            if (Files.isSymbolicLink(host)) {
                Files.createSymbolicLink(root.resolve(d), Files.readSymbolicLink(host));
            } else if (Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
                mkdir(root.resolve(d), 0755);
            }
        }
        for (Dir d : PERSISTENT_DIRS) mkdir(root.resolve(d.path()), d.mode());
        for (Dir d : MOUNT_POINT_DIRS) mkdir(root.resolve(d.path()), d.mode());
        seedEtc(root.resolve("etc"), name);
    }

    private void seedEtc(Path etc, ContainerName name) throws IOException {
        write(etc.resolve("passwd"), """
                root:x:0:0:root:/root:/bin/sh
                nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
                """);
        write(etc.resolve("group"), """
                root:x:0:
                nogroup:x:65534:
                """);
        write(etc.resolve("hostname"), name.value() + "\n");
        write(etc.resolve("hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\t" + name.value()
                + "\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        // The host admin is trusted: following a host /etc/resolv.conf symlink is intended.
        Path resolv = hostRoot.resolve("etc/resolv.conf");
        if (Files.isRegularFile(resolv) && Files.isReadable(resolv)) {
            Files.write(etc.resolve("resolv.conf"), Files.readAllBytes(resolv));
            chmod(etc.resolve("resolv.conf"), 0644);
        }
    }

    /**
     * Checks (and repairs, where the guest merely deleted one) the mount points of a stopped
     * sandbox and returns the host system directories to bind, as names relative to "/".
     *
     * @throws IOException naming the entry when a mount point is not a real directory
     */
    List<String> prepareStart(Path root) throws IOException {
        List<String> binds = new ArrayList<>();
        for (String d : HOST_SYSTEM_DIRS) {
            Path host = hostRoot.resolve(d);
            Path mine = root.resolve(d);
            boolean mineExists = Files.exists(mine, LinkOption.NOFOLLOW_LINKS);
            if (Files.isSymbolicLink(host)) {
                if (!mineExists) Files.createSymbolicLink(mine, Files.readSymbolicLink(host));
            } else if (Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
                if (!mineExists) mkdir(mine, 0755);
                requireRealDirectory(mine);
                binds.add(d);
            }
        }
        for (Dir d : MOUNT_POINT_DIRS) {
            Path mine = root.resolve(d.path());
            if (!Files.exists(mine, LinkOption.NOFOLLOW_LINKS)) mkdir(mine, d.mode());
            requireRealDirectory(mine);
        }
        return binds;
    }

    private static void requireRealDirectory(Path p) throws IOException {
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("mount point " + p + " is not a directory (a symlink or file left by the guest?);"
                    + " refusing to mount over it");
        }
    }

    private static void mkdir(Path p, int mode) throws IOException {
        Files.createDirectory(p);
        chmod(p, mode); // explicit: the caller's umask must not decide a sandbox's modes
    }

    private static void write(Path p, String text) throws IOException {
        Files.writeString(p, text, StandardCharsets.UTF_8);
        chmod(p, 0644);
    }

    static void chmod(Path p, int mode) throws IOException {
        Files.setAttribute(p, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    }
}
