package org.phoenixcast.discovery.lxc;

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
import java.util.regex.Pattern;
import org.phoenixcast.config.RuntimeConfig;
import org.phoenixcast.discovery.DiscoveredContainer;
import org.phoenixcast.discovery.RuntimeAdapter;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LXC containers (privileged and unprivileged) under one lxcpath ({@code lxc.lxcpath}, default
 * /var/lib/lxc): every subdirectory holding a {@code config} is a container; it runs while LXC
 * reports its init.
 *
 * <h2>Which containers run, and their init PIDs: LXC's own tools</h2>
 * {@link #list} runs {@code lxc-ls --lxcpath=P --running -1} once (the names whose monitor
 * answers on LXC's command socket with a state other than STOPPED), keeps the names that are
 * also directories with a config in P, and asks {@code lxc-info -s -p -H} only for a name it
 * does not know yet. A known container's init is re-checked through its /proc starttime, so a
 * restarted container (new init) or a reused PID is asked about again. Each PID must be PID 1
 * of a PID namespace below the host's ({@link NamespaceInit}); a container is reported in the
 * states whose init runs ({@link LxcState#initRuns}), with its init's /proc starttime.
 * Measured on a loaded 2-core host: lxc-info 5–10 ms per container; lxc-ls --running 23 ms
 * for 21 containers (10 running); a listing of 6 containers (4 running) 45–100 ms the first
 * time, then 7–35 ms (LxcAdapterIT prints it). Asking lxc-info for all 21 each time took 210 ms.
 * Not {@code lxc-ls -f -F NAME,STATE,PID}: for every running container it forks and enters the
 * container's network namespace to read its addresses whatever columns are asked for (30
 * clone+setns calls for 10 containers, 143 ms), and the PID alone does not need the guest.
 *
 * <h2>Prompt notice of starts and stops: a supervised {@code lxc-monitor}</h2>
 * Experiment with LXC 5.0.2, {@code lxc-start -P DIR -n N -d}, no systemd: nothing under DIR/N
 * changes (no PID or state file; the command socket {@code @DIR/N/command} is abstract, invisible
 * to inotify); {@code /run/lxc/lock/DIR/.N} is created once and left behind; cgroups
 * {@code lxc.payload.N} appear before init runs and carry no lxcpath (their layout is lxc.conf's
 * choice). The one place that names the moment init runs is LXC's state message (STARTING,
 * RUNNING, exit status, STOPPING, STOPPED), which lxc-start writes to the FIFO
 * {@code /run/lxc/DIR/monitor-fifo} only while {@code lxc-monitord} reads it; lxc-monitord
 * forwards it to the clients of its socket, such as {@code lxc-monitor -P DIR -n '.*'}. So
 * castd runs {@code lxc-monitor} as a child and treats each line as a trigger to list again
 * ({@link LxcMonitorStream}). Measured: STARTING 10 ms and RUNNING 60 ms after lxc-start
 * began; the listing shows the container 50–110 ms after lxc-start began and drops it 25–80 ms
 * after lxc-stop began (LxcAdapterIT, privileged and unprivileged; target 1 s). Not inotify on
 * the lxcpath: it sees no start or stop at all. lxc-monitor exits when lxc-monitord dies or is
 * told to quit; it is restarted with backoff, and after each start the loop lists again once
 * lxc-monitor has had time to connect. The loop's safety-net resync covers anything lost
 * while it was down. The child runs under {@code setpriv --pdeathsig KILL}: it dies with the
 * loop thread that started it, so not even a kill -9 of castd leaves an lxc-monitor behind.
 *
 * <p>Security: names come from castd's own scan of the root-owned lxcpath intersected with
 * lxc-ls; PIDs from lxc-info, which asks the container's monitor (a host process); liveness and
 * PID-namespace level from the host's /proc. Nothing is read from inside a guest, and monitor
 * lines are only triggers. Every tool runs with a clean environment, a timeout and capped output.
 *
 * <p>Limits: LXC keys its monitor FIFO and socket by the lxcpath string, so containers started
 * with another spelling of the same directory ({@code -P /var/lib/lxc/}) are found at the
 * resync only. A STOPPING container is reported until its init has exited. lxc-monitord is
 * LXC's shared daemon (setsid, it exits 30 s after its last client): close() ends castd's own
 * lxc-monitor only.
 */
public final class LxcAdapter implements RuntimeAdapter {
    private static final Logger log = LoggerFactory.getLogger(LxcAdapter.class);

    private final Path lxcpath;
    private final Pattern names;
    private final LxcTools tools;
    private final LxcMonitorStream monitor;
    /** Containers reported at the last listing, by name. Loop thread only. */
    private Map<String, Known> known = Map.of();
    /**
     * "name/problem" keys ('/' cannot occur in a name) already warned about: a bad entry is one
     * warning, not one per listing. Loop thread only.
     */
    private final Set<String> warned = new HashSet<>();
    private boolean toolsMissingReported;

    private record Known(DiscoveredContainer container, NamespaceInit init) {}

    public LxcAdapter(RuntimeConfig config) {
        this(config, LxcTools.onHost());
    }

    LxcAdapter(RuntimeConfig config, LxcTools tools) {
        this.lxcpath = lxcpath(config.setting("lxc.lxcpath"));
        this.names = config.namePattern();
        this.tools = tools;
        this.monitor = new LxcMonitorStream(() -> tools.find("lxc-monitor")
                .map(m -> tools.dyingWithCaller(List.of(m.toString(), "--lxcpath=" + lxcpath, "--name=.*"))),
                "lxc-monitor --lxcpath=" + lxcpath);
    }

    /** The lxcpath as LXC spells it: absolute, no trailing or doubled '/', no "." or "..". */
    static Path lxcpath(String setting) {
        Path p = Path.of(setting);
        if (!p.isAbsolute()) throw new IllegalArgumentException("lxc.lxcpath must be an absolute path: '" + setting + "'");
        return p.normalize();
    }

    @Override
    public String runtime() {
        return "lxc";
    }

    @Override
    public List<DiscoveredContainer> list() throws IOException {
        monitor.ensureStarted(); // before listing: a start during the listing then leaves a line
        Set<String> defined = definedContainers();
        if (defined.isEmpty()) return remember(Map.of());
        Optional<Path> lxcLs = tools.find("lxc-ls");
        Optional<Path> lxcInfo = tools.find("lxc-info");
        if (lxcLs.isEmpty() || lxcInfo.isEmpty()) {
            if (!toolsMissingReported) log.warn("runtime=lxc {} holds containers but lxc-ls/lxc-info are not installed", lxcpath);
            toolsMissingReported = true;
            return remember(Map.of());
        }
        toolsMissingReported = false;
        LxcTools.Result ls = tools.run(List.of(lxcLs.get().toString(), "--lxcpath=" + lxcpath, "--running", "-1"));
        if (ls.exitCode() != 0) {
            throw new IOException("lxc-ls --lxcpath=" + lxcpath + " --running exited with status " + ls.exitCode()
                    + ": " + Printable.quote(ls.firstErrorLine()));
        }
        Map<String, Known> now = new HashMap<>();
        for (String name : runningNames(ls.stdout(), defined)) {
            if (!names.matcher(name).matches()) continue;
            Known before = known.get(name);
            if (before != null && before.init().stillRuns()) {
                now.put(name, before);
                continue;
            }
            query(lxcInfo.get(), name).ifPresent(k -> now.put(name, k));
        }
        warned.removeIf(key -> !defined.contains(key.substring(0, key.indexOf('/'))));
        return remember(now);
    }

    /** Names printed by lxc-ls (one per line) that are also containers castd found in the lxcpath. */
    static List<String> runningNames(String lxcLsOutput, Set<String> defined) {
        return lxcLsOutput.lines().filter(defined::contains).distinct().toList();
    }

    /** The subdirectories of the lxcpath holding a regular file "config", as LXC defines containers. */
    private Set<String> definedContainers() throws IOException {
        Set<String> defined = new TreeSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(lxcpath)) {
            for (Path entry : entries) {
                if (Files.isDirectory(entry) && Files.isRegularFile(entry.resolve("config"))) {
                    defined.add(entry.getFileName().toString());
                }
            }
        } catch (NoSuchFileException | NotDirectoryException e) {
            return Set.of(); // no lxcpath: LXC has no containers here (yet)
        }
        return defined;
    }

    /** Asks lxc-info about one container; empty if it does not run (or not usably). */
    private Optional<Known> query(Path lxcInfo, String name) throws IOException {
        LxcTools.Result r = tools.run(List.of(lxcInfo.toString(), "--lxcpath=" + lxcpath, "--name=" + name,
                "-s", "-p", "-H"));
        if (r.exitCode() != 0) {
            // Rare: a container stopped since lxc-ls still answers STOPPED with status 0; this is
            // one destroyed in between, or an LXC problem worth one warning.
            warnOnce(name, "skipped: lxc-info exited with status " + r.exitCode() + ": "
                    + Printable.quote(r.firstErrorLine()));
            return Optional.empty();
        }
        LxcInfo info;
        try {
            info = LxcInfo.parse(r.stdout());
        } catch (IllegalArgumentException e) {
            warnOnce(name, "skipped: " + e.getMessage());
            return Optional.empty();
        }
        if (!info.state().initRuns() || info.pid().isEmpty()) return Optional.empty();
        int pid = info.pid().getAsInt();
        Optional<NamespaceInit> init = NamespaceInit.read(pid);
        if (init.isEmpty()) {
            if (NamespaceInit.isSomeOtherProcess(pid)) {
                warnOnce(name, "skipped: lxc-info names PID " + pid
                        + ", which is not PID 1 of a PID namespace below the host's");
            }
            return Optional.empty(); // otherwise init exited since lxc-info answered
        }
        warned.removeIf(key -> key.startsWith(name + "/"));
        return Optional.of(new Known(new DiscoveredContainer(runtime(), name, pid,
                OptionalLong.of(init.get().startTime())), init.get()));
    }

    /** Logs starts and stops (one line each) and keeps the result for the next listing. */
    private List<DiscoveredContainer> remember(Map<String, Known> now) {
        for (Map.Entry<String, Known> e : now.entrySet()) {
            Known before = known.get(e.getKey());
            if (before == null || before.init().pid() != e.getValue().init().pid()) {
                log.info("runtime=lxc container={} runs, init pid {}", forLog(e.getKey()), e.getValue().init().pid());
            }
        }
        for (String name : known.keySet()) {
            if (!now.containsKey(name)) log.info("runtime=lxc container={} no longer runs", forLog(name));
        }
        known = Map.copyOf(now);
        List<DiscoveredContainer> list = new ArrayList<>();
        now.values().forEach(k -> list.add(k.container()));
        return list;
    }

    private void warnOnce(String name, String problem) {
        if (warned.add(name + "/" + problem)) log.warn("runtime=lxc container={} {}", forLog(name), problem);
    }

    /** A name as it appears in log lines: bare if castd could use it, quoted and escaped otherwise. */
    static String forLog(String name) {
        return ContainerName.isValidBare(name) ? name : Printable.quote(name);
    }

    @Override
    public void awaitChange(Duration timeout) throws InterruptedException {
        monitor.await(timeout);
    }

    /** The event stream's child (tests). */
    LxcMonitorStream monitor() {
        return monitor;
    }

    @Override
    public void close() {
        monitor.close();
    }
}
