package org.phoenixcast.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.phoenixcast.mount.ContainerHandle;
import org.phoenixcast.mount.MountFacade;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.store.ContainerStore.Registration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which known containers run now, each pinned by a {@link ContainerHandle}: castctl
 * registrations and sandboxes (by PID or PID file) and containers the runtime adapters
 * discovered (by the PID their runtime reports). Thread contract: used by the worker thread only.
 *
 * <p>Security: a PID is only trusted through a pidfd opened while the process is alive; a
 * stored PID whose /proc starttime no longer matches the registration is a reused PID and the
 * container counts as stopped.
 */
public final class ContainerRegistry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ContainerRegistry.class);

    private final MountFacade kernel;
    private final ProcessExits exits;
    private final String hostNamespace = MountNamespaceIdentity.host();
    private final Map<ContainerName, ContainerHandle> live = new HashMap<>();
    /** The PID last refused per name, so a stale PID file is reported once, not at every resync. */
    private final Map<ContainerName, Integer> refused = new HashMap<>();
    /** The mount namespace of each live container: no two names may share one. */
    private final Map<ContainerName, String> namespaces = new HashMap<>();
    /**
     * The PID file as it was when castd pinned the process it names, per PID-file registration.
     * Kept after that process exits: a PID file still the same then is stale (see {@link #refresh}).
     */
    private final Map<ContainerName, Pinned> pinnedFrom = new HashMap<>();

    /** A PID file's identity: the PID in it, its inode and its modification time. */
    private record PidFileStamp(int pid, Object fileKey, long modifiedNanos) {}

    /** The PID file as it was when castd pinned the process it named, and that process's /proc starttime. */
    private record Pinned(PidFileStamp stamp, long startTime) {}

    public ContainerRegistry(MountFacade kernel, ProcessExits exits) {
        this.kernel = kernel;
        this.exits = exits;
    }

    /**
     * What changed in one refresh. {@code retrySoon}: a candidate could not be taken yet only
     * because it is still starting (its init has not entered its own root); refresh again shortly.
     */
    public record Changes(Set<ContainerName> started, Set<ContainerName> stopped, boolean retrySoon) {
        public boolean isEmpty() {
            return started.isEmpty() && stopped.isEmpty();
        }
    }

    /**
     * Reconciles the live set with the candidates; a PID file is re-read each time. Candidates
     * are registrations (runtime "pid" or "sandbox") and discovered containers (any other
     * runtime, by PID, with the runtime's recorded start time when it has one), in priority
     * order: when two claim the same mount namespace, the earlier one keeps it.
     */
    public Changes refresh(List<Registration> registrations) {
        boolean retrySoon = false;
        Set<ContainerName> started = new TreeSet<>();
        Set<ContainerName> stopped = new TreeSet<>();
        Map<ContainerName, Registration> byName = new HashMap<>();
        registrations.forEach(r -> byName.put(r.name(), r));
        for (ContainerName name : Set.copyOf(live.keySet())) {
            ContainerHandle h = live.get(name);
            Registration r = byName.get(name);
            Optional<Integer> wanted = r == null ? Optional.empty() : currentPid(r);
            if (r == null || !h.isAlive() || wanted.isEmpty() || wanted.get() != h.pid()) {
                exits.untrack(h.pid());
                h.close();
                live.remove(name);
                namespaces.remove(name);
                stopped.add(name);
            }
        }
        // Registrations by PID (verified by their /proc starttime) claim their namespace before
        // PID-file ones, so after a castd restart a stale PID file can never win a namespace.
        List<Registration> ordered = new java.util.ArrayList<>(registrations);
        ordered.sort(java.util.Comparator.comparing((Registration r) -> r.pidFile().isPresent()));
        pinnedFrom.keySet().retainAll(byName.keySet());
        for (Registration r : ordered) {
            if (live.containsKey(r.name())) continue;
            Optional<PidFileStamp> stamp = pidFileStamp(r);
            Optional<Integer> pid = pidOf(r, stamp);
            if (pid.isEmpty()) continue;
            // A PID file not rewritten since the init it named exited is stale, whatever runs
            // under that PID now (a process with another /proc starttime): a reused PID may be
            // any process, in a mount namespace of its own (a container castd does not know, an
            // unshare'd tool), which no namespace check can tell from the container. A runtime
            // that restarts the container writes the file again (new PID, inode or time).
            // NOTE: remembered only while castd runs; a PID reused across a castd restart is
            // caught only by the namespace checks below.
            Pinned pinned = pinnedFrom.get(r.name());
            boolean unchangedFile = pinned != null && stamp.isPresent() && stamp.get().equals(pinned.stamp());
            try {
                ContainerHandle h = kernel.open(pid.get());
                // The same process (same starttime) is not stale: castd only lost sight of it.
                if (unchangedFile && h.startTime() != pinned.startTime()) {
                    if (!pid.get().equals(refused.put(r.name(), pid.get()))) {
                        log.warn("container={} PID {} refused: the PID file still names the init that exited"
                                + " (stale PID file; waiting for it to be rewritten)", r.name(), pid.get());
                    }
                    h.close();
                    continue;
                }
                boolean reused = r.pidFile().isEmpty() && r.pidStart().isPresent() && r.pidStart().get() != h.startTime();
                if (reused && isDiscovered(r)) {
                    log.debug("container={} PID {} was reused after its runtime listed it", r.name(), pid.get());
                    h.close();
                    continue;
                }
                if (reused) {
                    log.warn("container={} PID {} now belongs to another process; treating the container as stopped",
                            r.name(), pid.get());
                    h.close();
                    continue;
                }
                Optional<String> problem = refuseNamespace(r.name(), h);
                if (problem.isEmpty() && h.rootIsHostRoot()) {
                    // The runtime's init has not pivoted into the container's root yet: /.syscmd
                    // would land on the host's root. Try again in a moment.
                    namespaces.remove(r.name());
                    problem = Optional.of("its root is still the host's root (the container is still starting?)");
                    retrySoon = true;
                }
                if (problem.isPresent()) {
                    boolean quiet = isDiscovered(r) && problem.get().startsWith("its mount namespace belongs");
                    if (!pid.get().equals(refused.put(r.name(), pid.get()))) {
                        if (quiet) {
                            log.debug("container={} PID {} is already followed: {}", r.name(), pid.get(), problem.get());
                        } else {
                            log.warn("container={} PID {} refused: {}", r.name(), pid.get(), problem.get());
                        }
                    }
                    h.close();
                    continue;
                }
                refused.remove(r.name());
                stamp.ifPresent(s -> pinnedFrom.put(r.name(), new Pinned(s, h.startTime())));
                live.put(r.name(), h);
                exits.track(h.pid(), h::isAlive);
                started.add(r.name());
                stopped.remove(r.name());
            } catch (IOException e) {
                if (e instanceof org.phoenixcast.linux.LinuxException le && le.errno() == org.phoenixcast.linux.Errno.EAGAIN) {
                    retrySoon = true; // its user namespace has no id maps yet: the runtime is still setting it up
                }
                log.debug("container={} not running: {}", r.name(), e.getMessage());
            }
        }
        return new Changes(started, stopped, retrySoon);
    }

    /** Registrations are castctl's and the sandboxes'; every other runtime's containers are discovered. */
    private static boolean isDiscovered(Registration r) {
        return !r.runtime().equals("pid") && !r.runtime().equals("sandbox");
    }

    /** Why {@code h} cannot be {@code name}'s container (see {@link MountNamespaceIdentity}), if it cannot. */
    private Optional<String> refuseNamespace(ContainerName name, ContainerHandle h) {
        Optional<String> ns = MountNamespaceIdentity.of(h.pid());
        if (ns.isEmpty() || !h.isAlive()) return Optional.of("the process exited");
        if (ns.get().equals(hostNamespace)) {
            return Optional.of("it runs in the host's mount namespace, so it is not a container (stale PID file?)");
        }
        for (var e : namespaces.entrySet()) {
            if (!e.getKey().equals(name) && e.getValue().equals(ns.get()) && live.containsKey(e.getKey())) {
                return Optional.of("its mount namespace belongs to container " + e.getKey() + " (stale PID file?)");
            }
        }
        namespaces.put(name, ns.get());
        return Optional.empty();
    }

    /**
     * The PID file's identity, read before its content (a file rewritten in between then differs
     * from the stamp at the next refresh, never the other way round); empty without a PID file.
     */
    private static Optional<PidFileStamp> pidFileStamp(Registration r) {
        if (r.pidFile().isEmpty()) return Optional.empty();
        // The PID file path comes from the admin (castctl) or from castd's own sandboxes: trusted.
        try {
            Path file = Path.of(r.pidFile().get());
            var attributes = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
            int pid = Integer.parseInt(Files.readString(file).trim());
            return Optional.of(new PidFileStamp(pid, attributes.fileKey(),
                    attributes.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS)));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<Integer> currentPid(Registration r) {
        return pidOf(r, pidFileStamp(r));
    }

    /** The PID a registration names now: the one in its PID file (read as {@code stamp}), or its fixed PID. */
    private static Optional<Integer> pidOf(Registration r, Optional<PidFileStamp> stamp) {
        return r.pidFile().isPresent() ? stamp.map(PidFileStamp::pid) : r.pid();
    }

    public Set<ContainerName> running() {
        return Set.copyOf(live.keySet());
    }

    public Optional<ContainerHandle> handle(ContainerName name) {
        return Optional.ofNullable(live.get(name));
    }

    @Override
    public void close() {
        live.values().forEach(h -> {
            exits.untrack(h.pid());
            h.close();
        });
        live.clear();
        namespaces.clear();
    }
}
