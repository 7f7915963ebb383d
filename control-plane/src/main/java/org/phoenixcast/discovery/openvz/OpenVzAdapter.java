package org.phoenixcast.discovery.openvz;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.phoenixcast.config.RuntimeConfig;
import org.phoenixcast.discovery.DiscoveredContainer;
import org.phoenixcast.discovery.RuntimeAdapter;
import org.phoenixcast.discovery.StartupRetry;
import org.phoenixcast.discovery.StateChangeWait;
import org.phoenixcast.discovery.StateDirectoryWatch;
import org.phoenixcast.linux.Errno;
import org.phoenixcast.linux.Fd;
import org.phoenixcast.linux.Inotify;
import org.phoenixcast.linux.Kernel;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.linux.ProcessStat;
import org.phoenixcast.linux.Stat;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Containers of OpenVZ 7 / Virtuozzo 7, listed with {@code vzlist -H -o ctid,status,name}
 * ({@code openvz.vzlist}, default "vzlist" on PATH). A container is known by its name when it
 * has one that castd can use, otherwise by its CTID ("104", or VZ7's UUID-like ids).
 *
 * <p>Init PID: libvzctl (VZ7) writes the PID of a container's init to
 * {@code /var/run/ve/<CTID>.init.pid} when it starts the container and removes the file when it
 * stops it; libvzctl itself trusts that PID only when the process's {@code envID:} line in
 * /proc/PID/status (an OpenVZ kernel field) names the same container. This adapter does the same
 * and also requires, where the kernel shows NSpid or VPid, that the process is PID 1 of its
 * namespace. Only "running" containers are reported ("paused" ones are frozen by a checkpoint).
 *
 * <p>Events: OpenVZ's own event channel is a kernel netlink socket (vzeventd) that cannot be
 * tried here, so this adapter watches /var/run/ve with inotify (the init.pid files come and go
 * with starts and stops) and follows the reported inits with pidfds; the file appears before the
 * container runs, so a new file is followed by short re-listings ({@link StartupRetry}). The
 * loop's safety-net resync covers anything else.
 *
 * <p>NOTE: nothing here ran against a real OpenVZ kernel. The vzlist format, the init.pid path
 * and the envID check are reconstructed from vzctl's vzlist.c, libvzctl and the vzlist(8)
 * manual; the unit tests use recorded samples written from them, not output captured on a host.
 *
 * <p>Security: names, CTIDs and PIDs come from vzlist run on the host and from root-owned
 * files under /var/run/ve (read with O_NOFOLLOW); a CTID is checked to be a plain word before it
 * names a file; the PID is confirmed through the kernel's envID field; the guest can change
 * neither.
 */
public final class OpenVzAdapter implements RuntimeAdapter {
    private static final Logger log = LoggerFactory.getLogger(OpenVzAdapter.class);
    /** libvzctl's VZCTL_VE_RUN_DIR. */
    static final Path RUN_DIR = Path.of("/var/run/ve");
    static final Duration VZLIST_TIMEOUT = Duration.ofSeconds(20);
    static final int MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
    static final int RUN_DIR_MASK = Inotify.IN_CREATE | Inotify.IN_CLOSE_WRITE | Inotify.IN_DELETE | Inotify.IN_MOVED_TO;
    static final String PID_FILE_SUFFIX = ".init.pid";

    /** What the kernel says about a process: its starttime when it is the init of container {@code ctid}. */
    interface InitProbe {
        OptionalLong initStartTime(String ctid, int pid) throws IOException;
    }

    private final String vzlist;
    private final Path runDir;
    private final InitProbe probe;
    private final StateChangeWait changes = new StateChangeWait("openvz");
    private final StateDirectoryWatch watch;
    private final StartupRetry starting = new StartupRetry(Duration.ofSeconds(120), 10, 1000);
    private final Map<String, String> warned = new HashMap<>();
    private volatile Process child;
    private volatile boolean closed;
    private boolean missingLogged;

    public OpenVzAdapter(RuntimeConfig config) {
        this(config.setting("openvz.vzlist"), RUN_DIR, OpenVzAdapter::procInitStartTime);
    }

    OpenVzAdapter(String vzlist, Path runDir, InitProbe probe) {
        this.vzlist = vzlist;
        this.runDir = runDir;
        this.probe = probe;
        this.watch = new StateDirectoryWatch(changes.inotify(), runDir, RUN_DIR_MASK);
    }

    @Override
    public String runtime() {
        return "openvz";
    }

    @Override
    public List<DiscoveredContainer> list() throws IOException {
        Optional<String> output = runVzlist();
        List<DiscoveredContainer> running = new ArrayList<>();
        Set<String> runningCtids = new HashSet<>();
        Set<String> seen = new HashSet<>();
        if (output.isPresent()) {
            VzlistOutput.Parsed parsed = VzlistOutput.parse(output.get());
            for (VzlistOutput.Rejected r : parsed.rejected()) {
                warnOnce("line:" + r.untrustedLine(), "vzlist line " + Printable.quote(r.untrustedLine()) + " ignored: " + r.reason());
                seen.add("line:" + r.untrustedLine());
            }
            for (VzlistOutput.Entry e : parsed.entries()) {
                seen.add(e.ctid());
                if (!e.running()) continue;
                Optional<DiscoveredContainer> c = inspect(e);
                if (c.isPresent()) {
                    running.add(c.get());
                    runningCtids.add(e.ctid());
                }
            }
        }
        warned.keySet().retainAll(seen);
        Set<String> notRunning = new HashSet<>(pidFileCtids());
        notRunning.removeAll(runningCtids);
        starting.starting(notRunning);
        changes.exits().follow(running);
        return running;
    }

    /** One running container: its init PID from init.pid, confirmed by the kernel. */
    private Optional<DiscoveredContainer> inspect(VzlistOutput.Entry e) {
        try {
            OptionalLong pid = readPidFile(e.ctid());
            if (pid.isEmpty()) {
                log.debug("runtime=openvz container={} running but without {}{}", e.ctid(), e.ctid(), PID_FILE_SUFFIX);
                return Optional.empty();
            }
            OptionalLong start = probe.initStartTime(e.ctid(), (int) pid.getAsLong());
            if (start.isEmpty()) {
                log.debug("runtime=openvz container={} init {} is not its init (yet)", e.ctid(), pid.getAsLong());
                return Optional.empty();
            }
            String name = e.name() != null && ContainerName.isValidBare(e.name()) ? e.name() : e.ctid();
            return Optional.of(new DiscoveredContainer(runtime(), name, (int) pid.getAsLong(), start));
        } catch (IOException | RuntimeException ex) {
            warnOnce(e.ctid(), "container " + e.ctid() + " ignored: " + ex.getMessage());
            return Optional.empty();
        }
    }

    /** The PID in {@code <runDir>/<ctid>.init.pid}; empty when there is no such file. */
    OptionalLong readPidFile(String ctid) throws IOException {
        if (!VzlistOutput.CTID.matcher(ctid).matches()) throw new IOException("CTID " + Printable.quote(ctid) + " is not a plain word");
        Fd dir;
        try {
            dir = Kernel.openHost(runDir, Kernel.O_PATH | Kernel.O_DIRECTORY);
        } catch (LinuxException ex) {
            if (ex.errno() == Errno.ENOENT) return OptionalLong.empty();
            throw ex;
        }
        try (dir) {
            Fd file;
            try {
                file = Kernel.openat(dir, ctid + PID_FILE_SUFFIX, Kernel.O_RDONLY | Kernel.O_NOFOLLOW | Kernel.O_NONBLOCK | Kernel.O_NOCTTY, 0);
            } catch (LinuxException ex) {
                if (ex.errno() == Errno.ENOENT) return OptionalLong.empty();
                throw ex;
            }
            try (file) {
                Stat st = Kernel.stat(file);
                if (!st.isRegularFile()) throw new IOException(ctid + PID_FILE_SUFFIX + " is " + st.typeName());
                return OptionalLong.of(parsePid(new String(Kernel.readAtMost(file, 64), StandardCharsets.US_ASCII)));
            }
        }
    }

    /** libvzctl writes the PID with fprintf("%d"), no newline; tolerate surrounding blanks. */
    static int parsePid(String text) throws IOException {
        String t = text.strip();
        if (!t.matches("[0-9]{1,10}")) throw new IOException("init.pid holds " + Printable.quote(t) + ", not a PID");
        long pid = Long.parseLong(t);
        if (pid <= 1 || pid > Integer.MAX_VALUE) throw new IOException("init.pid holds " + pid + ", not a container's init");
        return (int) pid;
    }

    /** CTIDs that have an init.pid file now (starting or running containers). */
    private Set<String> pidFileCtids() {
        Set<String> ctids = new HashSet<>();
        try (var entries = Files.newDirectoryStream(runDir, "*" + PID_FILE_SUFFIX)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                ctids.add(name.substring(0, name.length() - PID_FILE_SUFFIX.length()));
            }
        } catch (NoSuchFileException e) {
            return Set.of();
        } catch (IOException e) {
            log.debug("runtime=openvz cannot list {}: {}", runDir, e.toString());
        }
        return ctids;
    }

    /**
     * The kernel's view of {@code pid}: running, in container {@code ctid} (envID, the field
     * libvzctl checks), PID 1 of its namespace where NSpid or VPid shows it.
     */
    static OptionalLong procInitStartTime(String ctid, int pid) throws IOException {
        Optional<ProcessStat> stat = ProcessStat.read(pid);
        if (stat.isEmpty() || !stat.get().running()) return OptionalLong.empty();
        String status;
        try {
            status = Files.readString(Path.of("/proc", Integer.toString(pid), "status"), StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
        if (!isInitOf(status, ctid)) return OptionalLong.empty();
        Optional<ProcessStat> again = ProcessStat.read(pid); // the same process all along
        if (again.isEmpty() || again.get().startTime() != stat.get().startTime()) return OptionalLong.empty();
        return OptionalLong.of(stat.get().startTime());
    }

    /** True when /proc/PID/status says: container {@code ctid}, PID 1 inside (where shown). */
    static boolean isInitOf(String status, String ctid) {
        String envId = null;
        String innerPid = null;
        for (String line : status.split("\n")) {
            if (line.startsWith("envID:")) envId = line.substring(6).strip();
            else if (line.startsWith("VPid:")) innerPid = lastWord(line.substring(5));
            else if (line.startsWith("NSpid:")) innerPid = lastWord(line.substring(6));
        }
        return ctid.equals(envId) && (innerPid == null || innerPid.equals("1"));
    }

    private static String lastWord(String s) {
        String[] words = s.strip().split("\\s+");
        return words[words.length - 1];
    }

    /** vzlist's stdout; empty when vzlist is not installed (then OpenVZ is not either). */
    private Optional<String> runVzlist() throws IOException {
        ProcessBuilder pb = new ProcessBuilder(vzlist, "-H", "-o", "ctid,status,name")
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            if (!missingLogged) log.info("runtime=openvz {} cannot run ({}): no OpenVZ containers", vzlist, e.getMessage());
            missingLogged = true;
            return Optional.empty();
        }
        missingLogged = false;
        child = p;
        try {
            if (closed) p.destroyForcibly();
            CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readCapped(p.getErrorStream(), 64 * 1024));
            byte[] out = readCapped(p.getInputStream(), MAX_OUTPUT_BYTES + 1);
            if (!p.waitFor(VZLIST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException(vzlist + " did not finish within " + VZLIST_TIMEOUT);
            }
            if (out.length > MAX_OUTPUT_BYTES) throw new IOException(vzlist + " printed more than " + MAX_OUTPUT_BYTES + " bytes");
            if (p.exitValue() != 0) {
                byte[] errBytes;
                try {
                    errBytes = err.get(2, TimeUnit.SECONDS); // EOF once vzlist exited
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    errBytes = new byte[0];
                }
                String stderr = new String(errBytes, StandardCharsets.UTF_8).strip();
                throw new IOException(vzlist + " exited with " + p.exitValue() + ": " + Printable.quote(stderr));
            }
            return Optional.of(new String(out, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + vzlist, e);
        } finally {
            p.destroyForcibly();
            child = null;
        }
    }

    private static byte[] readCapped(InputStream in, int max) {
        try (in) {
            return in.readNBytes(max);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private void warnOnce(String key, String message) {
        if (!message.equals(warned.put(key, message))) log.warn("runtime=openvz {}", message);
    }

    @Override
    public void awaitChange(Duration timeout) throws IOException, InterruptedException {
        if (closed) return;
        long deadline = System.nanoTime() + timeout.toNanos();
        long retry = starting.nextWaitMillis();
        if (retry >= 0) deadline = Math.min(deadline, System.nanoTime() + retry * 1_000_000);
        if (changes.await(deadline, watch::arm, watch::concernsAny)) starting.eventSeen();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Process p = child;
        if (p != null) p.destroyForcibly();
        changes.close();
    }
}
