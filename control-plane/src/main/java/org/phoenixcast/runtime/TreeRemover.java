package org.phoenixcast.runtime;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;

/**
 * Deletes a sandbox directory tree that a guest has filled.
 *
 * <p>Guest influence: every name, type and symlink below the sandbox's root was chosen by the
 * guest's root user. The walk never follows a symlink (Files.walkFileTree without FOLLOW_LINKS;
 * a symlink is deleted as a link), and refuses to descend into a directory on another device or
 * one that is a mount point, so it cannot delete through a bind mount into the host. The guest
 * must be stopped first: with it running, a directory could be swapped for a symlink between the
 * check and the delete. NOTE: that is the classic recursive-delete race which GNU rm avoids with
 * openat/unlinkat beneath held directory fds; Java's walker re-resolves paths, so it is only safe
 * while nothing else writes the tree.
 */
final class TreeRemover {
    private TreeRemover() {}

    /**
     * @param mountPoints host mount points at or beneath {@code top} (normally none); the walk
     *                    refuses to enter any of them
     */
    static void delete(Path top, Set<Path> mountPoints) throws IOException {
        if (!Files.exists(top, LinkOption.NOFOLLOW_LINKS)) return;
        Object topDevice = Files.getAttribute(top, "unix:dev", LinkOption.NOFOLLOW_LINKS);
        Files.walkFileTree(top, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (mountPoints.contains(dir)) {
                    throw new IOException("refusing to delete into mount point " + dir);
                }
                Object device = Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS);
                if (!device.equals(topDevice)) {
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
}
