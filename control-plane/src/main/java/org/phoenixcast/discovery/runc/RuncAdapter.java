package org.phoenixcast.discovery.runc;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import org.phoenixcast.config.RuntimeConfig;
import org.phoenixcast.discovery.DiscoveredContainer;
import org.phoenixcast.discovery.RuntimeAdapter;
import org.phoenixcast.discovery.StateChangeWait;
import org.phoenixcast.discovery.StateDirectoryWatch;
import org.phoenixcast.linux.Errno;
import org.phoenixcast.linux.Fd;
import org.phoenixcast.linux.Inotify;
import org.phoenixcast.linux.Kernel;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.linux.ProcessStat;
import org.phoenixcast.linux.Stat;
import org.phoenixcast.model.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Containers of runc (and of anything else that keeps runc's state layout, such as a runc root
 * shared by several tools), found in its state directory {@code runc.root} (default /run/runc):
 * one directory per container id holding {@code state.json}.
 *
 * <p>A container is reported only while its init runs: the recorded {@code init_process_pid}
 * lives, its /proc starttime equals the recorded {@code init_process_start} (else the PID was
 * reused), and {@code exec.fifo} is gone. runc creates {@code <root>/<id>/exec.fifo} in
 * {@code runc create}, the init blocks on it, and {@code runc start} opens and deletes it: while
 * it exists the container is "created", its process not started (checked on runc 1.1.5).
 *
 * <p>Security: names and PIDs come only from the root-owned state directory, opened with
 * O_NOFOLLOW below the configured root; nothing from inside the container is read. The
 * starttime goes into {@link DiscoveredContainer#startTime()}, so a PID reused between the
 * listing and castd's pidfd_open is refused.
 *
 * <p>Events: inotify on the root (a container directory appearing or going), on each container
 * directory (state.json replaced by rename, exec.fifo deleted by {@code runc start}) and pidfds on
 * the listed inits (an init that exits leaves state.json behind until {@code runc delete}). A
 * missing root is waited for by watching its nearest existing ancestor.
 */
public final class RuncAdapter implements RuntimeAdapter {
    private static final Logger log = LoggerFactory.getLogger(RuncAdapter.class);
    /** runc 1.1's state.json holds the whole container config, a few KiB; a larger file is not runc's. */
    static final int MAX_STATE_BYTES = 4 * 1024 * 1024;
    static final int ROOT_MASK = Inotify.IN_CREATE | Inotify.IN_DELETE | Inotify.IN_MOVED_TO | Inotify.IN_MOVED_FROM;
    /** state.json is written to a temp file then renamed (IN_MOVED_TO); start deletes exec.fifo. */
    static final int CONTAINER_MASK = Inotify.IN_MOVED_TO | Inotify.IN_DELETE | Inotify.IN_DELETE_SELF;

    private record Watched(int wd, Object identity) {}

    private final Path root;
    private final StateChangeWait changes = new StateChangeWait("runc");
    private final StateDirectoryWatch rootWatch;
    private final Map<String, Watched> containerWatches = new HashMap<>();
    private final Set<String> staleWatches = new HashSet<>();
    private final Map<String, String> warned = new HashMap<>();
    private volatile boolean closed;

    public RuncAdapter(RuntimeConfig config) {
        this(Path.of(config.setting("runc.root")));
    }

    RuncAdapter(Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.rootWatch = new StateDirectoryWatch(changes.inotify(), this.root, ROOT_MASK);
    }

    @Override
    public String runtime() {
        return "runc";
    }

    /** The state directory this adapter reads. */
    Path root() {
        return root;
    }

    @Override
    public List<DiscoveredContainer> list() throws IOException {
        List<DiscoveredContainer> running = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        try (Fd rootFd = Kernel.openHost(root, Kernel.O_RDONLY | Kernel.O_DIRECTORY)) {
            for (String id : directoryNames()) {
                seen.add(id);
                inspect(rootFd, id).ifPresent(running::add);
            }
        } catch (LinuxException e) {
            if (e.errno() != Errno.ENOENT && e.errno() != Errno.ENOTDIR) throw e;
            // no root yet: runc has not run a container since boot
        }
        warned.keySet().retainAll(seen);
        changes.exits().follow(running);
        return running;
    }

    /** The entries of the root, sorted; none when it is missing. */
    private Set<String> directoryNames() throws IOException {
        Set<String> names = new TreeSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path p : entries) names.add(p.getFileName().toString());
        } catch (NoSuchFileException | NotDirectoryException e) {
            return Set.of();
        }
        return names;
    }

    /** One container directory; empty unless its init runs now. Never throws for one odd entry. */
    private Optional<DiscoveredContainer> inspect(Fd rootFd, String id) {
        try (Fd dir = Kernel.openat(rootFd, id, Kernel.O_PATH | Kernel.O_DIRECTORY | Kernel.O_NOFOLLOW, 0)) {
            Optional<byte[]> json = readState(dir, id);
            if (json.isEmpty()) return Optional.empty();
            RuncState state;
            try {
                state = RuncState.parse(id, json.get());
            } catch (IllegalArgumentException e) {
                warnOnce(id, "state.json ignored: " + e.getMessage());
                return Optional.empty();
            }
            if (exists(dir, "exec.fifo")) {
                log.debug("runtime=runc container={} created, not started", id);
                return Optional.empty();
            }
            Optional<ProcessStat> init = ProcessStat.read(state.initPid());
            if (init.isEmpty() || !init.get().running() || init.get().startTime() != state.initStart()) {
                log.debug("runtime=runc container={} stopped (init {} gone)", id, state.initPid());
                return Optional.empty();
            }
            return Optional.of(new DiscoveredContainer(runtime(), id, state.initPid(), OptionalLong.of(state.initStart())));
        } catch (LinuxException e) {
            // ENOENT: deleted while listing; ENOTDIR/ELOOP: not a container directory (a file, a symlink)
            if (e.errno() == Errno.ELOOP || e.errno() == Errno.ENOTDIR) warnOnce(id, "not a directory, ignored");
            else if (e.errno() != Errno.ENOENT) warnOnce(id, "unreadable: " + e.getMessage());
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            warnOnce(id, "unreadable: " + e.getMessage());
            return Optional.empty();
        }
    }

    /** state.json's bytes; empty while runc has not written it yet (or removed it). */
    private Optional<byte[]> readState(Fd dir, String id) throws LinuxException {
        Fd file;
        try {
            file = Kernel.openat(dir, "state.json", Kernel.O_RDONLY | Kernel.O_NOFOLLOW | Kernel.O_NONBLOCK | Kernel.O_NOCTTY, 0);
        } catch (LinuxException e) {
            if (e.errno() == Errno.ENOENT) return Optional.empty();
            if (e.errno() == Errno.ELOOP) {
                warnOnce(id, "state.json is a symlink, ignored");
                return Optional.empty();
            }
            throw e;
        }
        try (file) {
            Stat st = Kernel.stat(file);
            if (!st.isRegularFile()) {
                warnOnce(id, "state.json is " + st.typeName() + ", ignored");
                return Optional.empty();
            }
            byte[] bytes = Kernel.readAtMost(file, MAX_STATE_BYTES + 1);
            if (bytes.length > MAX_STATE_BYTES) {
                warnOnce(id, "state.json is larger than " + MAX_STATE_BYTES + " bytes, ignored");
                return Optional.empty();
            }
            return Optional.of(bytes);
        }
    }

    private static boolean exists(Fd dir, String name) throws LinuxException {
        try (Fd ignored = Kernel.openat(dir, name, Kernel.O_PATH | Kernel.O_NOFOLLOW, 0)) {
            return true;
        } catch (LinuxException e) {
            if (e.errno() == Errno.ENOENT) return false;
            throw e;
        }
    }

    private void warnOnce(String id, String message) {
        if (!message.equals(warned.put(id, message))) {
            log.warn("runtime=runc container={} in {}: {}", Printable.quote(id), root, message);
        }
    }

    @Override
    public void awaitChange(Duration timeout) throws IOException, InterruptedException {
        if (closed) return;
        changes.await(System.nanoTime() + timeout.toNanos(), this::armWatches, this::relevant);
    }

    /** True when one of the events may change the listing; notes watches that went away. */
    private boolean relevant(List<Inotify.Event> events) {
        boolean relevant = false;
        for (Inotify.Event e : events) {
            if (rootWatch.concerns(e)) {
                relevant = true;
                if (e.name() != null) staleWatches.add(e.name()); // created, deleted or renamed: watch afresh
                if (e.overflow()) staleWatches.addAll(containerWatches.keySet());
                continue;
            }
            for (Map.Entry<String, Watched> w : containerWatches.entrySet()) {
                if (w.getValue().wd() == e.watchDescriptor()) {
                    relevant = true;
                    if (e.name() == null) staleWatches.add(w.getKey()); // the directory itself went
                }
            }
        }
        return relevant;
    }

    /**
     * Watches the root (or its nearest ancestor) and every container directory in it. Returns
     * true when a new watch was added: what happened there before it is unseen, list again.
     */
    private boolean armWatches() throws IOException {
        boolean added = rootWatch.arm();
        Set<String> present = new HashSet<>();
        if (rootWatch.watchesDirectory()) {
            try {
                present.addAll(directoryNames());
            } catch (IOException e) {
                // the root went away meanwhile: the root watch reports it
            }
        }
        for (String id : new ArrayList<>(containerWatches.keySet())) {
            Watched w = containerWatches.get(id);
            if (!present.contains(id) || staleWatches.contains(id) || !w.identity().equals(identity(root.resolve(id)))) {
                changes.inotify().unwatch(w.wd()); // EINVAL for a watch the kernel already dropped: harmless
                containerWatches.remove(id);
            }
        }
        staleWatches.clear();
        for (String id : present) {
            if (containerWatches.containsKey(id)) continue;
            Path dir = root.resolve(id);
            Object identity = identity(dir);
            if (identity == null) continue; // not a directory (symlinks are not followed)
            try {
                containerWatches.put(id, new Watched(changes.inotify().watch(dir, CONTAINER_MASK), identity));
                added = true;
            } catch (LinuxException e) {
                if (e.errno() != Errno.ENOENT && e.errno() != Errno.ENOTDIR) throw e;
            }
        }
        return added;
    }

    /** Device and inode of a real directory (not following a symlink), or null. */
    private static Object identity(Path dir) {
        try {
            var attrs = Files.readAttributes(dir, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
            return attrs.isDirectory() ? attrs.fileKey() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** How many container directories are watched (tests). */
    int containerWatchCount() {
        return containerWatches.size();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        changes.close();
    }
}
