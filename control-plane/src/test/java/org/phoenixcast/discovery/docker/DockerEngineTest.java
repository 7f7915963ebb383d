package org.phoenixcast.discovery.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.URLDecoder;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.phoenixcast.discovery.EventFollower;

/**
 * The Engine API client over a real Unix socket that replays recorded dockerd answers. Every test
 * is bounded: a stream read without a deadline must fail the test, never hang the build.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class DockerEngineTest {
    private static final Duration SHORT = Duration.ofMillis(300);

    @TempDir
    Path dir;

    private Path socket() {
        return dir.resolve("docker.sock");
    }

    @Test
    void getsARecordedChunkedListing() throws Exception {
        byte[] recorded = HttpResponseTest.recorded("containers-chunked.http");
        try (ReplaySocket s = new ReplaySocket(socket(), t -> ReplaySocket.Reply.of(recorded))) {
            byte[] body = new DockerEngine(socket()).get("/containers/json", 1 << 20);
            assertThat(body).isEqualTo(DockerJsonTest.body("containers-chunked.http"));
            assertThat(s.targets()).containsExactly("/containers/json");
        }
    }

    @Test
    void answersNullForAContainerGoneMeanwhile() throws Exception {
        byte[] recorded = HttpResponseTest.recorded("inspect-missing.http");
        try (ReplaySocket s = new ReplaySocket(socket(), t -> ReplaySocket.Reply.of(recorded))) {
            assertThat(new DockerEngine(socket()).get("/containers/" + "0".repeat(64) + "/json", 1 << 20)).isNull();
        }
    }

    @Test
    void failsOnAnyOtherStatusWithAShortPrintableExcerpt() throws Exception {
        String body = "{\"message\":\"boom\u0007\u0001\"}";
        byte[] reply = ("HTTP/1.1 500 Internal Server Error\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.ISO_8859_1);
        try (ReplaySocket s = new ReplaySocket(socket(), t -> ReplaySocket.Reply.of(reply))) {
            assertThatThrownBy(() -> new DockerEngine(socket()).get("/containers/json", 1 << 20))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("500")
                    .hasMessageContaining("boom??");
        }
    }

    @Test
    void timesOutOnADaemonThatNeverAnswers() throws Exception {
        try (ReplaySocket s = new ReplaySocket(socket(), t -> ReplaySocket.Reply.silence())) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> new DockerEngine(socket(), SHORT, SHORT).get("/containers/json", 1 << 20))
                    .isInstanceOf(SocketTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(SHORT, Duration.ofSeconds(3));
            assertThatThrownBy(() -> new DockerEngine(socket(), SHORT, SHORT).events(0))
                    .isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void stopsReadingAnOversizedBody() throws Exception {
        ByteArrayOutputStream big = new ByteArrayOutputStream();
        big.writeBytes("HTTP/1.1 200 OK\r\nContent-Length: 4194304\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        big.writeBytes(new byte[4 << 20]);
        byte[] reply = big.toByteArray();
        try (ReplaySocket s = new ReplaySocket(socket(), t -> ReplaySocket.Reply.of(reply))) {
            assertThatThrownBy(() -> new DockerEngine(socket()).get("/containers/json", 1 << 20))
                    .isInstanceOf(ProtocolException.class)
                    .hasMessageContaining("larger than 1048576 bytes");
        }
    }

    @Test
    void aStaleSocketRefusesTheConnection() throws Exception {
        ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        dead.bind(UnixDomainSocketAddress.of(socket()));
        dead.close(); // the file stays, nobody listens: a crashed dockerd
        assertThatThrownBy(() -> new DockerEngine(socket()).get("/containers/json", 1 << 20))
                .isInstanceOf(ConnectException.class);
    }

    @Test
    void streamsRecordedEventsAskingForRecentHistoryAndContainerEventsOnly() throws Exception {
        byte[] recorded = HttpResponseTest.recorded("events.http");
        try (ReplaySocket s = new ReplaySocket(socket(), t -> new ReplaySocket.Reply(recorded, true))) {
            EventFollower.Stream stream = new DockerEngine(socket()).events(1795497113L);
            String target = URLDecoder.decode(s.targets().get(0), StandardCharsets.UTF_8);
            assertThat(target).startsWith("/events?since=1795497113&filters=")
                    .endsWith(DockerEngine.EVENTS_FILTER);
            StringBuilder text = new StringBuilder();
            byte[] buf = new byte[100];
            while (text.toString().split("\n").length < 6 || !text.toString().endsWith("\n")) {
                int n = stream.read(buf);
                assertThat(n).isPositive();
                text.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            }
            s.push("3\r\n{}\n\r\n".getBytes(StandardCharsets.US_ASCII));
            int n = stream.read(buf);
            assertThat(new String(buf, 0, n, StandardCharsets.UTF_8)).isEqualTo("{}\n");
            s.hangUp();
            assertThatThrownBy(() -> {
                while (stream.read(buf) >= 0) {
                    // drain to the end
                }
            }).isInstanceOf(ProtocolException.class); // cut in the middle of the chunked body
            stream.close();
        }
    }

    @Test
    void closeEndsAReadBlockedOnAQuietStream() throws Exception {
        byte[] headers = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        try (ReplaySocket s = new ReplaySocket(socket(), t -> new ReplaySocket.Reply(headers, true))) {
            EventFollower.Stream stream = new DockerEngine(socket()).events(0);
            CompletableFuture<Object> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    return stream.read(new byte[100]);
                } catch (IOException | RuntimeException e) {
                    return e;
                }
            });
            await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(1)).until(() -> !reader.isDone());
            long start = System.nanoTime();
            stream.close();
            reader.get(2, TimeUnit.SECONDS);
            System.out.printf("docker event stream: close() ended a blocked read in %.2f ms%n",
                    (System.nanoTime() - start) / 1e6);
        }
    }
}
