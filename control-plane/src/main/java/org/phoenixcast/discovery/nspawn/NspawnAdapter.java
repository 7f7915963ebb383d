package org.phoenixcast.discovery.nspawn;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import org.phoenixcast.config.RuntimeConfig;
import org.phoenixcast.discovery.DiscoveredContainer;
import org.phoenixcast.discovery.RuntimeAdapter;
import org.phoenixcast.discovery.StartupRetry;
import org.phoenixcast.discovery.StateChangeWait;
import org.phoenixcast.discovery.StateDirectoryWatch;
import org.phoenixcast.linux.Inotify;
import org.phoenixcast.model.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Containers of systemd-nspawn, also when it runs without systemd as PID 1 and without
 * systemd-machined ({@code --register=no --keep-unit}), as on our build machines.
 *
 * <p>What a running nspawn leaves on the host (measured with systemd 252): it creates
 * {@code <nspawn.state-dir>/propagate/<machine>/} (default /run/systemd/nspawn; root-only, 0600)
 * before it spawns the container and removes it after the container's init exited, and it
 * holds a lock file {@code <state-dir>/locks/inode-DEV:INO} named after the root directory's
 * inode. Neither names a PID. So:
 * <ul>
 * <li>the machine names are the entries of {@code propagate/} (host state, root-only);
 * <li>each entry is matched to a systemd-nspawn process of host root in the host's PID namespace
 *     whose own argv gives that machine name ({@link NspawnCommandLine});
 * <li>the init PID is that process's child which is PID 1 of its PID namespace, once it runs
 *     the container's init ({@link NspawnProcesses#initOf}). Its /proc starttime goes into
 *     {@link DiscoveredContainer#startTime()}.
 * </ul>
 * Nothing from inside the guest (hostname, /etc/machine-id, argv of guest processes, the
 * mount it sees at /run/host/incoming) names or picks a container.
 *
 * <p>An nspawn killed with SIGKILL leaves its propagate directory behind and its container's
 * init running as an orphan: with no nspawn process left to tie a PID to the name, it is no
 * longer reported (measured: it leaves the listing as soon as nspawn's pidfd reports the exit).
 *
 * <p>Events: inotify on {@code propagate/} (or, while it is missing, its nearest existing
 * ancestor), and pidfds on the reported inits and their nspawn processes (an exit wakes at
 * once). nspawn creates the propagate directory ~100 ms before the container's init runs, and
 * leaves nothing on the host when it does; so while a propagate entry has no running container, it is
 * listed again after 10, 20, 40, ... ms (at most 250 ms apart) for up to {@link #STARTING_WINDOW}
 * (measured: nspawn 252 execs the init ~105 ms after it creates the propagate entry).
 * That is the only polling, and only while a container is starting (or a stale entry is left).
 */
public final class NspawnAdapter implements RuntimeAdapter {
    private static final Logger log = LoggerFactory.getLogger(NspawnAdapter.class);
    static final int PROPAGATE_MASK = Inotify.IN_CREATE | Inotify.IN_DELETE | Inotify.IN_MOVED_TO | Inotify.IN_MOVED_FROM;
    /** How long a machine with a propagate entry but no running init is re-listed (slow image setup, -U chown). */
    static final Duration STARTING_WINDOW = Duration.ofSeconds(60);
    /** How long an nspawn may run before its propagate entry exists without a warning. */
    static final Duration UNMATCHED_GRACE = Duration.ofSeconds(10);
    static final long FIRST_RETRY_MILLIS = 10;
    static final long MAX_RETRY_MILLIS = 250;

    private final Path stateDir;
    private final Path propagate;
    private final StateChangeWait changes = new StateChangeWait("nspawn");
    private final StateDirectoryWatch watch;
    private final StartupRetry starting = new StartupRetry(STARTING_WINDOW, FIRST_RETRY_MILLIS, MAX_RETRY_MILLIS);
    private final Map<String, String> warned = new HashMap<>();
    /** nspawn PID → when its machine name was first seen without a propagate entry (nanoTime). */
    private final Map<Integer, Long> unmatchedSince = new HashMap<>();
    private volatile boolean closed;

    public NspawnAdapter(RuntimeConfig config) {
        this(Path.of(config.setting("nspawn.state-dir")));
    }

    NspawnAdapter(Path stateDir) {
        this.stateDir = stateDir.toAbsolutePath().normalize();
        this.propagate = this.stateDir.resolve("propagate");
        this.watch = new StateDirectoryWatch(changes.inotify(), propagate, PROPAGATE_MASK);
    }

    @Override
    public String runtime() {
        return "nspawn";
    }

    @Override
    public List<DiscoveredContainer> list() throws IOException {
        Set<String> machines = machineDirectories();
        List<DiscoveredContainer> running = new ArrayList<>();
        Map<Integer, Long> monitors = new HashMap<>(); // the nspawn of each reported machine
        Set<String> current = new TreeSet<>(machines); // keys of warnings still worth remembering
        if (!machines.isEmpty()) {
            Map<String, List<NspawnProcesses.Nspawn>> byName = new HashMap<>();
            long now = System.nanoTime();
            for (NspawnProcesses.Nspawn n : NspawnProcesses.find()) {
                current.add("pid:" + n.pid());
                NspawnCommandLine.Result r = NspawnCommandLine.machineName(n.argv(), n.cwd());
                if (r.machine().isEmpty()) {
                    warnOnce("pid:" + n.pid(), "systemd-nspawn " + n.pid() + " ignored: " + r.problem());
                } else if (!machines.contains(r.machine().get())) {
                    // normal for a few milliseconds while nspawn starts; worth a warning only if it lasts
                    long since = unmatchedSince.computeIfAbsent(n.pid(), k -> now);
                    if (now - since > UNMATCHED_GRACE.toNanos()) {
                        warnOnce("pid:" + n.pid(), "systemd-nspawn " + n.pid() + " ignored: its machine name "
                                + Printable.quote(r.machine().get()) + " has no " + propagate + " entry (start it with -M NAME)");
                    }
                } else {
                    byName.computeIfAbsent(r.machine().get(), k -> new ArrayList<>()).add(n);
                }
            }
            for (String name : machines) {
                List<NspawnProcesses.Nspawn> owners = byName.getOrDefault(name, List.of());
                if (owners.size() > 1) {
                    warnOnce(name, "machine " + Printable.quote(name) + " ignored: " + owners.size()
                            + " systemd-nspawn processes claim it");
                    continue;
                }
                if (owners.isEmpty()) continue;
                Optional<NspawnProcesses.Init> init = NspawnProcesses.initOf(owners.get(0));
                if (init.isPresent()) {
                    running.add(new DiscoveredContainer(runtime(), name, init.get().pid(), OptionalLong.of(init.get().startTime())));
                    monitors.put(owners.get(0).pid(), owners.get(0).startTime());
                }
            }
        }
        Set<String> notRunning = new TreeSet<>(machines);
        running.forEach(c -> notRunning.remove(c.name()));
        starting.starting(notRunning);
        warned.keySet().retainAll(current);
        unmatchedSince.keySet().removeIf(pid -> !current.contains("pid:" + pid));
        // nspawn's exit matters too: a SIGKILLed nspawn leaves its init running and its
        // propagate entry in place, but without nspawn the name no longer maps to a PID
        changes.exits().follow(running, monitors);
        return running;
    }

    /** Names in propagate/ (directories only); none while it is missing. */
    private Set<String> machineDirectories() throws IOException {
        Set<String> names = new TreeSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(propagate)) {
            for (Path p : entries) {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) names.add(p.getFileName().toString());
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            return Set.of();
        }
        return names;
    }

    private void warnOnce(String key, String message) {
        if (!message.equals(warned.put(key, message))) log.warn("runtime=nspawn {}", message);
    }

    @Override
    public void awaitChange(Duration timeout) throws IOException, InterruptedException {
        if (closed) return;
        long deadline = System.nanoTime() + timeout.toNanos();
        long retry = starting.nextWaitMillis();
        if (retry >= 0) deadline = Math.min(deadline, System.nanoTime() + retry * 1_000_000);
        if (changes.await(deadline, watch::arm, watch::concernsAny)) {
            starting.eventSeen(); // a new start: retry from the shortest wait
        }
    }

    /** The directory nspawn keeps its per-machine state in. */
    Path stateDir() {
        return stateDir;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        changes.close();
    }
}
