package org.phoenixcast.discovery;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Objects;
import org.phoenixcast.linux.Inotify;
import org.phoenixcast.linux.LinuxException;

/**
 * An inotify watch on a runtime's host state directory that may not exist yet (no container
 * started since boot) or may be removed: while it is missing, its nearest existing ancestor is
 * watched for the next path component to appear, so nothing polls.
 *
 * <p>The directory is admin-configured (castd.conf) and trusted: symlinks in it are followed.
 * Thread contract: the discovery loop thread only.
 */
public final class StateDirectoryWatch {
    /** What an ancestor is watched for: the next component appearing, or the ancestor going away. */
    static final int ANCESTOR_MASK = Inotify.IN_CREATE | Inotify.IN_MOVED_TO | Inotify.IN_DELETE_SELF;

    private record Watched(int wd, Path path, Object identity, String nextComponent) {
        boolean isTarget() {
            return nextComponent == null;
        }
    }

    private final Inotify inotify;
    private final Path directory;
    private final int mask;
    private Watched watched;
    private boolean gone;

    /** @param mask what to watch the directory itself for (an ancestor gets {@link #ANCESTOR_MASK}) */
    public StateDirectoryWatch(Inotify inotify, Path directory, int mask) {
        this.inotify = Objects.requireNonNull(inotify);
        this.directory = directory.toAbsolutePath().normalize();
        this.mask = mask | Inotify.IN_DELETE_SELF;
    }

    /**
     * Watches the directory, or its nearest existing ancestor while it is missing. Returns true
     * when it now watches something it did not watch before: whatever happened there before the
     * watch was unseen, so the caller lists again before it waits.
     */
    public boolean arm() throws IOException {
        Path at = directory;
        String next = null;
        while (!Files.isDirectory(at)) {
            next = at.getFileName() == null ? null : at.getFileName().toString();
            at = at.getParent();
            if (at == null) return false; // not even "/": nothing to watch
        }
        Object identity = identity(at);
        if (identity == null) return true; // vanished meanwhile: look again
        if (watched != null && !gone && watched.path.equals(at) && identity.equals(watched.identity)) {
            if (!Objects.equals(next, watched.nextComponent)) watched = new Watched(watched.wd, at, identity, next);
            return false;
        }
        disarm();
        Path real = at.toRealPath(); // fails only for an unreadable path: the loop then backs off
        try {
            watched = new Watched(inotify.watch(real, next == null ? mask : ANCESTOR_MASK), at, identity, next);
        } catch (LinuxException e) {
            if (e.errno() == org.phoenixcast.linux.Errno.ENOENT || e.errno() == org.phoenixcast.linux.Errno.ENOTDIR) {
                return true; // removed between the check and the watch
            }
            throw e;
        }
        gone = false;
        return true;
    }

    /** True while the directory itself (not an ancestor) is watched. */
    public boolean watchesDirectory() {
        return watched != null && !gone && watched.isTarget();
    }

    /**
     * True when the event concerns this watch in a way that may change the directory's
     * contents: anything in the directory itself, or the next path component of a watched
     * ancestor appearing (other files appearing there are ignored). An event about the watched
     * directory itself (no name: deleted, moved) makes the next {@link #arm} watch afresh.
     */
    public boolean concerns(Inotify.Event event) {
        if (event.overflow()) {
            gone = true;
            return true;
        }
        if (watched == null || event.watchDescriptor() != watched.wd) return false;
        if (event.name() == null) {
            gone = true;
            return true;
        }
        return watched.isTarget() || event.name().equals(watched.nextComponent);
    }

    /** {@link #concerns} applied to every event (each may mark the watch for renewal); true if one concerns it. */
    public boolean concernsAny(List<Inotify.Event> events) {
        boolean any = false;
        for (Inotify.Event e : events) any |= concerns(e);
        return any;
    }

    /** Removes the watch (idempotent). */
    public void disarm() {
        if (watched != null && !gone) inotify.unwatch(watched.wd);
        watched = null;
    }

    /** The file key (device and inode) of a directory, or null when it is gone. */
    static Object identity(Path dir) {
        try {
            return Files.readAttributes(dir, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }
}
