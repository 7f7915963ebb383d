package org.phoenixcast.discovery.docker;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
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
 * Docker containers, from dockerd's Engine API on its Unix socket ({@code docker.socket},
 * default /run/docker.sock): {@code GET /containers/json} for the running ones and their names,
 * {@code GET /containers/{id}/json} for each one's {@code State.Pid}, and a streaming
 * {@code GET /events} (container start/die/stop/restart/destroy/rename) to notice changes.
 *
 * <p>Trust: names and PIDs come only from dockerd (root-owned socket, host side). A container's
 * name is the one its admin gave ({@code docker run --name}); nothing inside the guest feeds it.
 * {@code State.Pid} is the container's init as the host sees it (not containerd-shim).
 *
 * <p>No socket means no Docker: no containers, and a quiet wait (inotify on the socket's
 * directory) for dockerd to create it. A socket that refuses connections (dockerd crashed) is a
 * listing failure, so castd keeps the containers it knew until their pidfds say they exited.
 * NOTE: with {@code live-restore}, a cleanly stopped dockerd removes its socket while its
 * containers keep running; castd then drops them until dockerd is back.
 *
 * <p>Inspect answers are cached per container id while the init's /proc starttime is unchanged,
 * so a listing after one event costs one inspect for the container that changed, not one per
 * container. The starttime is read right after dockerd named the PID. NOTE: between dockerd's
 * answer and that read (microseconds) the init could exit and its PID be reused; castd's pidfd
 * then pins whatever process had the PID at that read.
 */
public final class DockerAdapter implements RuntimeAdapter {
    private static final Logger log = LoggerFactory.getLogger(DockerAdapter.class);
    /** ~1-3 KiB per container in a listing: room for 10,000 containers with labels. */
    static final long MAX_LIST_BYTES = 64L << 20;
    /** An inspect document is a few KiB; env and labels of a big image stay far below this. */
    static final long MAX_INSPECT_BYTES = 8L << 20;

    private record Known(int pid, long startTime) {}

    private final DockerEngine engine;
    private final SocketWatch socketWatch;
    private final EventFollower events;
    private final Map<String, Known> known = new HashMap<>();
    private final DistinctWarnings warnings = new DistinctWarnings(log, "docker");

    public DockerAdapter(RuntimeConfig config) {
        this(socketPath(config.setting("docker.socket")));
    }

    /** A path, or DOCKER_HOST's {@code unix:///path} form; a TCP endpoint is refused at start-up. */
    static Path socketPath(String setting) {
        String s = setting.trim();
        if (s.startsWith("unix://")) s = s.substring("unix://".length());
        if (s.isEmpty() || s.contains("://") || !s.startsWith("/")) {
            throw new IllegalArgumentException("castd.conf: docker.socket must be the absolute path of dockerd's Unix socket, not '"
                    + setting + "'");
        }
        return Path.of(s);
    }

    DockerAdapter(Path socket) {
        this(new DockerEngine(socket));
    }

    DockerAdapter(DockerEngine engine) {
        this.engine = engine;
        this.socketWatch = new SocketWatch(engine.socket());
        this.events = new EventFollower(runtime(), new Source(), this::relevant);
    }

    @Override
    public String runtime() {
        return "docker";
    }

    @Override
    public List<DiscoveredContainer> list() throws IOException {
        if (!Files.exists(engine.socket())) {
            known.clear();
            return List.of();
        }
        byte[] body = engine.get("/containers/json", MAX_LIST_BYTES);
        if (body == null) throw new IOException("dockerd answered 404 to GET /containers/json");
        List<DockerJson.Listed> listed = DockerJson.containers(body, warnings::warn);
        List<DiscoveredContainer> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (DockerJson.Listed c : listed) {
            ids.add(c.id());
            Known k = known.get(c.id());
            if (k == null || startTime(k.pid()) != k.startTime()) {
                k = inspect(c);
                if (k == null) {
                    known.remove(c.id());
                    continue;
                }
                known.put(c.id(), k);
            }
            out.add(new DiscoveredContainer(runtime(), c.name(), k.pid(), OptionalLong.of(k.startTime())));
        }
        known.keySet().retainAll(ids);
        return out;
    }

    /** The init of a listed container, or null when it is gone or not running any more. */
    private Known inspect(DockerJson.Listed c) throws IOException {
        byte[] body = engine.get("/containers/" + c.id() + "/json", MAX_INSPECT_BYTES);
        if (body == null) return null; // removed since the listing
        DockerJson.Inspected state;
        try {
            state = DockerJson.inspect(body);
        } catch (IOException e) {
            warnings.warn("container " + Printable.quote(c.name()) + " skipped: " + e.getMessage());
            return null;
        }
        if (!state.running() || state.pid() <= 1) return null;
        long start = startTime(state.pid());
        if (start < 0) return null; // exited since dockerd answered
        log.debug("runtime=docker container={} init pid {}", c.name(), state.pid());
        return new Known(state.pid(), start);
    }

    /** The starttime of a running process, or -1 when it is gone (or a zombie). */
    private static long startTime(int pid) throws IOException {
        return ProcessStat.read(pid).filter(ProcessStat::running).map(ProcessStat::startTime).orElse(-1L);
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
            return DockerJson.relevantEvent(line);
        } catch (IOException e) {
            warnings.warn("unreadable event skipped: " + HttpResponse.abbreviate(line));
            return false;
        }
    }

    /** The /events stream; absent while the socket is missing or refuses connections. */
    private final class Source implements EventFollower.Source {
        @Override
        public EventFollower.Stream open() throws IOException {
            if (!Files.exists(engine.socket())) {
                socketWatch.expect(SocketWatch.Wait.FOR_SOCKET);
                return null;
            }
            try {
                // One second back: dockerd replays what happened while the subscription was made.
                return engine.events(Instant.now().getEpochSecond() - 1);
            } catch (ConnectException e) {
                socketWatch.expect(SocketWatch.Wait.FOR_NEW_SOCKET);
                return null; // a stale socket: dockerd is gone and will create a new one
            }
        }

        @Override
        public void awaitSource(long millis) throws InterruptedException {
            socketWatch.await(millis);
        }

        @Override
        public void wake() {
            socketWatch.wake();
        }
    }
}
