package org.phoenixcast.discovery;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.phoenixcast.linux.Errno;
import org.phoenixcast.linux.Fd;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.linux.MountApi;
import org.phoenixcast.linux.ProcessStat;

/**
 * Pidfds on the inits an adapter listed last, polled next to its inotify fd, so that its
 * awaitChange returns when an init exits even though the runtime's state directory did not
 * change: runc leaves state.json behind until {@code runc delete}, and an nspawn killed with
 * SIGKILL leaves its propagate directory behind.
 *
 * <p>Thread contract: {@link #follow}, {@link #acquire} and {@link #release} are called by the
 * discovery loop thread; {@link #close} by any thread. A pidfd is never closed while a poll uses
 * it: close() during acquire..release leaves the closing to release().
 */
public final class InitExitWatch implements AutoCloseable {
    private record Init(int pid, long startTime) {}

    private final Map<Init, Fd> pidfds = new HashMap<>();
    private boolean inUse;
    private boolean closed;
    private boolean stale;

    /**
     * Follows exactly these containers' inits: opens pidfds for new ones and closes the others.
     * If one exited (or its PID was reused) since it was listed, {@link #stale} turns true and
     * the caller should list again at once instead of waiting.
     */
    public void follow(List<DiscoveredContainer> containers) {
        follow(containers, Map.of());
    }

    /**
     * Like {@link #follow(List)}, and also follows other processes whose exit changes the
     * listing (PID → /proc starttime), such as the runtime's monitor process of each container.
     */
    public synchronized void follow(List<DiscoveredContainer> containers, Map<Integer, Long> alsoProcesses) {
        if (closed) return;
        Map<Init, Object> wanted = new HashMap<>();
        for (DiscoveredContainer c : containers) wanted.put(new Init(c.pid(), c.startTime().orElse(-1)), c);
        alsoProcesses.forEach((pid, start) -> wanted.put(new Init(pid, start), pid));
        pidfds.entrySet().removeIf(e -> {
            if (wanted.containsKey(e.getKey())) return false;
            e.getValue().close();
            return true;
        });
        stale = false;
        for (Map.Entry<Init, Object> w : wanted.entrySet()) {
            if (pidfds.containsKey(w.getKey())) continue;
            Opened o = open(w.getKey());
            if (o.fd() != null) pidfds.put(w.getKey(), o.fd());
            else if (o.gone()) stale = true;
            // else: could not follow it (e.g. out of fds); the safety-net resync covers it
        }
    }

    /** A pidfd, or why there is none: the process is gone (list again) or cannot be followed. */
    private record Opened(Fd fd, boolean gone) {}

    /** Opens a pidfd and confirms that it names the process that was listed, not a reused PID. */
    private static Opened open(Init init) {
        Fd fd;
        try {
            fd = MountApi.pidfdOpen(init.pid());
        } catch (LinuxException e) {
            return new Opened(null, e.errno() == Errno.ESRCH); // ESRCH: exited since the listing
        }
        try {
            Optional<ProcessStat> now = ProcessStat.read(init.pid());
            boolean same = now.isPresent() && now.get().running()
                    && (init.startTime() < 0 || now.get().startTime() == init.startTime());
            if (same && MountApi.isAlive(fd)) return new Opened(fd, false);
            fd.close();
            return new Opened(null, true);
        } catch (IOException | RuntimeException e) {
            fd.close();
            return new Opened(null, false);
        }
    }

    /** True when an init listed last had already exited when {@link #follow} ran. */
    public synchronized boolean stale() {
        return stale;
    }

    /** The pidfds to poll; call {@link #release} after the poll returns. */
    public synchronized List<Fd> acquire() {
        if (closed) return List.of();
        inUse = true;
        return new ArrayList<>(pidfds.values());
    }

    public synchronized void release() {
        inUse = false;
        if (closed) closeAll();
    }

    /** How many inits are followed (for tests and logs). */
    public synchronized int size() {
        return pidfds.size();
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (!inUse) closeAll();
    }

    private void closeAll() {
        pidfds.values().forEach(Fd::close);
        pidfds.clear();
    }
}
