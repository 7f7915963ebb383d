package org.phoenixcast.discovery.podman;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.phoenixcast.config.RuntimeConfig;
import org.phoenixcast.discovery.DiscoveredContainer;
import org.phoenixcast.discovery.DistinctWarnings;
import org.phoenixcast.discovery.EventFollower;
import org.phoenixcast.discovery.RuntimeAdapter;
import org.phoenixcast.linux.ProcessStat;
import org.phoenixcast.model.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Podman containers (root Podman), from the podman CLI run on the host: {@code podman ps
 * --filter status=running --filter status=paused --format json} for names and init PIDs, and a
 * {@code podman events --format json --filter type=container} child process to notice changes.
 * {@code podman.root} / {@code podman.runroot}, when set, are passed as --root / --runroot to
 * every call (empty: podman's own defaults, storage.conf).
 *
 * <p>Events: the stream uses whatever events backend podman's containers.conf selects, the same
 * one {@code podman run} writes to, so castd never forces one. Without systemd/journald (our
 * build machines) podman itself picks "file" (tmp_dir/events/events.log). With
 * {@code events_logger = "none"} there are no events; then only the safety-net resync notices
 * changes, and the stream's failure is logged once.
 *
 * <p>Trust: names and PIDs come from podman's host-side database and its OCI runtime's state,
 * never from the guest. The reported PID is the container's init (conmon's child), not conmon.
 * Podman runs its containers with runc or crun, whose state lies in /run/runc (runc's default
 * root; Podman passes no --root): castd's runc adapter sees the same processes under their
 * 64-hex ids, and castd keeps the first runtime listed in castd.conf for a process (podman
 * comes before runc by default).
 *
 * <p>NOTE: the init's /proc starttime is read right after podman printed the PID; an init that
 * exited and whose PID was reused in between (podman ps takes ~60 ms) would be pinned instead.
 */
public final class PodmanAdapter implements RuntimeAdapter {
    private static final Logger log = LoggerFactory.getLogger(PodmanAdapter.class);
    /** podman ps answers in ~60 ms; it may wait on a lock held by another podman for a while. */
    static final Duration LIST_TIMEOUT = Duration.ofSeconds(30);
    /** ~1 KiB per container in podman ps: room for 10,000 containers with labels. */
    static final int MAX_LIST_BYTES = 64 << 20;
    private static final List<String> PS = List.of("ps", "--filter", "status=running", "--filter", "status=paused",
            "--format", "json");

    private final PodmanCli cli;
    private final EventFollower events;
    private final DistinctWarnings warnings = new DistinctWarnings(log, "podman");

    public PodmanAdapter(RuntimeConfig config) {
        this(PodmanCli.of(config));
    }

    PodmanAdapter(PodmanCli cli) {
        this.cli = cli;
        this.events = new EventFollower(runtime(), new Source(), this::relevant);
    }

    @Override
    public String runtime() {
        return "podman";
    }

    @Override
    public List<DiscoveredContainer> list() throws IOException {
        if (!cli.available()) return List.of();
        List<PodmanJson.Running> running = PodmanJson.running(cli.run(PS, LIST_TIMEOUT, MAX_LIST_BYTES), warnings::warn);
        List<DiscoveredContainer> out = new ArrayList<>();
        for (PodmanJson.Running r : running) {
            long start = ProcessStat.read(r.pid()).filter(ProcessStat::running).map(ProcessStat::startTime).orElse(-1L);
            if (start < 0) continue; // exited since podman answered; its "died" event follows
            out.add(new DiscoveredContainer(runtime(), r.name(), r.pid(), OptionalLong.of(start)));
        }
        return out;
    }

    @Override
    public void awaitChange(Duration timeout) throws InterruptedException {
        events.awaitChange(timeout);
    }

    @Override
    public void close() {
        events.close();
    }

    private boolean relevant(String line) {
        if (line == null) return true;
        try {
            return PodmanJson.relevantEvent(line);
        } catch (IOException e) {
            warnings.warn("podman events: " + Printable.quote(line));
            return false;
        }
    }

    /** The {@code podman events} child; absent while the binary or the configured storage is missing. */
    private final class Source implements EventFollower.Source {
        @Override
        public EventFollower.Stream open() throws IOException {
            if (!cli.available()) return null;
            // One second back: podman replays what happened while the child was starting.
            return cli.events(Instant.now().getEpochSecond() - 1);
        }
    }
}
