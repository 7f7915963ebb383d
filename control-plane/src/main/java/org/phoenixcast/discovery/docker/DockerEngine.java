package org.phoenixcast.discovery.docker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ProtocolException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.phoenixcast.discovery.EventFollower;

/**
 * The few calls castd makes to the Docker Engine API, over its Unix socket, with no docker CLI:
 * GET requests (one connection each, {@code Connection: close}) and the streaming
 * {@code /events} request. Paths carry no API version: the daemon then answers with its newest
 * API, and the fields castd reads (Id, Names, State.Pid, State.Running) are in every version.
 */
final class DockerEngine {
    /** dockerd answers a listing in milliseconds; this only bounds a wedged or starting daemon. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    /** The event stream's headers come once dockerd has finished starting; it may take a while. */
    static final Duration EVENTS_HEADER_TIMEOUT = Duration.ofSeconds(30);
    /** Container events that may change which containers run, or their names. */
    static final String EVENTS_FILTER = "{\"type\":[\"container\"],\"event\":[\"start\",\"restart\",\"die\","
            + "\"stop\",\"destroy\",\"rename\"]}";

    private final Path socket;
    private final Duration requestTimeout;
    private final Duration eventsHeaderTimeout;

    DockerEngine(Path socket) {
        this(socket, REQUEST_TIMEOUT, EVENTS_HEADER_TIMEOUT);
    }

    DockerEngine(Path socket, Duration requestTimeout, Duration eventsHeaderTimeout) {
        this.socket = socket;
        this.requestTimeout = requestTimeout;
        this.eventsHeaderTimeout = eventsHeaderTimeout;
    }

    Path socket() {
        return socket;
    }

    /** The body of a 200 answer to {@code GET target}; null on 404; IOException for anything else. */
    byte[] get(String target, long maxBytes) throws IOException {
        long deadline = System.nanoTime() + requestTimeout.toNanos();
        try (EngineConnection c = EngineConnection.open(socket, deadline)) {
            c.send(request(target, "close"), deadline);
            HttpResponse response = new HttpResponse(maxBytes);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            byte[] buf = new byte[64 * 1024];
            while (!response.done()) {
                int n = c.read(buf, deadline);
                if (n < 0) {
                    response.endOfInput();
                    break;
                }
                response.feed(buf, 0, n, body::write);
            }
            if (response.status() == 404) return null;
            if (response.status() != 200) {
                throw new IOException("dockerd answered " + response.status() + " to GET " + target + ": "
                        + HttpResponse.abbreviate(body.toString(StandardCharsets.UTF_8)));
            }
            return body.toByteArray();
        }
    }

    /**
     * Opens {@code GET /events} for container events since {@code sinceEpochSecond} (dockerd
     * replays its recent events from then on) and returns once dockerd answered 200, i.e. once
     * it is up and the subscription is being made.
     */
    EventFollower.Stream events(long sinceEpochSecond) throws IOException {
        String target = "/events?since=" + sinceEpochSecond + "&filters="
                + URLEncoder.encode(EVENTS_FILTER, StandardCharsets.UTF_8);
        long deadline = System.nanoTime() + eventsHeaderTimeout.toNanos();
        EngineConnection c = EngineConnection.open(socket, deadline);
        try {
            c.send(request(target, "keep-alive"), deadline);
            HttpResponse response = new HttpResponse(Long.MAX_VALUE);
            ByteArrayOutputStream early = new ByteArrayOutputStream();
            byte[] buf = new byte[16 * 1024];
            while (!response.headersDone()) {
                int n = c.read(buf, deadline);
                if (n < 0) throw new ProtocolException("dockerd closed the event stream before answering");
                response.feed(buf, 0, n, early::write);
            }
            if (response.status() != 200) {
                throw new IOException("dockerd answered " + response.status() + " to GET /events");
            }
            return new EventStream(c, response, early.toByteArray());
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private static String request(String target, String connection) {
        return "GET " + target + " HTTP/1.1\r\nHost: docker\r\nUser-Agent: castd\r\nAccept: application/json\r\n"
                + "Connection: " + connection + "\r\n\r\n";
    }

    /** The body of an open /events response, de-chunked. */
    private static final class EventStream implements EventFollower.Stream {
        private final EngineConnection connection;
        private final HttpResponse response;
        private byte[] pending;
        private final byte[] raw = new byte[16 * 1024];

        EventStream(EngineConnection connection, HttpResponse response, byte[] early) {
            this.connection = connection;
            this.response = response;
            this.pending = early;
        }

        @Override
        public int read(byte[] buf) throws IOException {
            while (true) {
                if (pending != null && pending.length > 0) {
                    int n = Math.min(buf.length, pending.length);
                    System.arraycopy(pending, 0, buf, 0, n);
                    pending = n == pending.length ? null : Arrays.copyOfRange(pending, n, pending.length);
                    return n;
                }
                if (response.done()) return -1;
                int n = connection.read(raw, EngineConnection.FOREVER);
                if (n < 0) {
                    response.endOfInput();
                    return -1;
                }
                ByteArrayOutputStream decoded = new ByteArrayOutputStream();
                response.feed(raw, 0, n, decoded::write);
                pending = decoded.toByteArray();
            }
        }

        @Override
        public void close() throws IOException {
            connection.close();
        }
    }
}
