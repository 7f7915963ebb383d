package org.phoenixcast.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.phoenixcast.mount.MountInfo;
import org.phoenixcast.mount.MountTable;

/**
 * Host mount table reads and careful deletes for test fixtures (control-plane's adapter ITs and
 * the tests module's runtime fixtures): tests must leave no mount and no file behind, and a
 * guest's symlinks must never lead a cleanup onto the host.
 */
public final class TestMounts {
    private TestMounts() {}

    /** Mount points in this process's mount table at or beneath {@code dir} (a real path). */
    public static List<Path> beneath(Path dir) throws IOException {
        List<Path> found = new ArrayList<>();
        for (MountInfo m : MountTable.parse(Files.readAllBytes(Path.of("/proc/self/mountinfo")))) {
            Path mountPoint = Path.of(m.mountPoint());
            if (mountPoint.startsWith(dir)) found.add(mountPoint);
        }
        return found;
    }

    /** Lazily unmounts everything at or beneath {@code dir}, deepest first; fails if any is left. */
    public static void detachAllBeneath(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        Path real = dir.toRealPath();
        List<Path> mounts = beneath(real);
        mounts.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        for (Path m : mounts) {
            Process p = new ProcessBuilder("umount", "--lazy", m.toString()).redirectErrorStream(true).start();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while unmounting " + m, e);
            }
        }
        List<Path> left = beneath(real);
        if (!left.isEmpty()) throw new IOException("still mounted beneath " + real + ": " + left);
    }

    /**
     * Lazily unmounts everything beneath {@code dir} (deepest first), then deletes the tree
     * without following symlinks or crossing into another file system. Fails if anything stays.
     */
    public static void detachAndDelete(Path dir) throws IOException {
        detachAllBeneath(dir);
        deleteTree(dir);
    }

    /** Deletes a tree without following symlinks and without entering another file system. */
    public static void deleteTree(Path top) throws IOException {
        if (!Files.exists(top, LinkOption.NOFOLLOW_LINKS)) return;
        Object device = Files.getAttribute(top, "unix:dev", LinkOption.NOFOLLOW_LINKS);
        Files.walkFileTree(top, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (!device.equals(Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS))) {
                    throw new IOException("refusing to delete across a file system boundary at " + dir);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                if (failure != null) throw failure;
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** The mount point of one mountinfo line, the kernel's octal escapes undone ("" if malformed). */
    public static String mountPointOf(String mountinfoLine) {
        List<MountInfo> parsed = MountTable.parse(mountinfoLine.getBytes(StandardCharsets.UTF_8));
        return parsed.isEmpty() ? "" : parsed.get(0).mountPoint();
    }
}
