package org.phoenixcast.discovery.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.phoenixcast.discovery.DiscoveredContainer;
import org.phoenixcast.linux.ProcessStat;

/**
 * The adapter's own logic over a socket that replays recorded dockerd answers: a missing socket,
 * its appearance, the inspect cache. Real dockerd behaviour is DockerAdapterIT's.
 */
class DockerAdapterTest {
    private static final String WEB = "aaa81b579c0c5e3277e3c04baf66140b114a6b14cd137c2b6d7ad2165be6a3ab";
    private static final String PAUSED = "cdbac1e7aa11e2f935957c0a8cd8869658a85d0df628b153238bf5825d3e26e0";

    @TempDir
    Path dir;

    private Path socket() {
        return dir.resolve("docker.sock");
    }

    /** A 200 answer whose body is the recorded one, with the recorded PID replaced by {@code pid}. */
    private static byte[] inspectWithPid(int pid) throws IOException {
        String body = new String(DockerJsonTest.body("inspect-running.http"), StandardCharsets.UTF_8)
                .replace("\"Pid\":19683", "\"Pid\":" + pid);
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.UTF_8);
    }

    private static long millis(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    @Test
    void noSocketMeansNoContainersAndAQuietWait() throws Exception {
        try (DockerAdapter adapter = new DockerAdapter(socket())) {
            assertThat(adapter.list()).isEmpty();
            long start = System.nanoTime();
            adapter.awaitChange(Duration.ofMillis(700));
            assertThat(millis(start)).isGreaterThanOrEqualTo(650);
        }
    }

    @Test
    void wakesPromptlyWhenDockerdCreatesItsSocket() throws Exception {
        byte[] headers = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        try (DockerAdapter adapter = new DockerAdapter(socket())) {
            CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(() -> {
                long start = System.nanoTime();
                try {
                    adapter.awaitChange(Duration.ofSeconds(30));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return millis(start);
            });
            org.awaitility.Awaitility.await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
                    .until(() -> !waiter.isDone());
            long created = System.nanoTime();
            try (ReplaySocket s = new ReplaySocket(socket(), t -> new ReplaySocket.Reply(headers, true))) {
                waiter.get(10, TimeUnit.SECONDS);
                long ms = millis(created);
                System.out.printf("docker: socket created -> awaitChange returned in %d ms (backoff would be up to 30 s)%n", ms);
                assertThat(ms).isLessThan(1000);
                assertThat(s.targets()).singleElement().asString().startsWith("/events?since=");
            }
        }
    }

    @Test
    void aStaleSocketIsAListingFailureSoCastdKeepsWhatItKnew() throws Exception {
        ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        dead.bind(UnixDomainSocketAddress.of(socket()));
        dead.close();
        try (DockerAdapter adapter = new DockerAdapter(socket())) {
            assertThatThrownBy(adapter::list).isInstanceOf(ConnectException.class);
        }
    }

    @Test
    void inspectsEachContainerOnceWhileItsInitLives() throws Exception {
        int pid = (int) ProcessHandle.current().pid(); // a live process stands in for both inits
        byte[] listing = HttpResponseTest.recorded("containers-content-length.http");
        byte[] inspect = inspectWithPid(pid);
        try (ReplaySocket s = new ReplaySocket(socket(), t -> ReplaySocket.Reply.of(t.equals("/containers/json") ? listing : inspect));
                DockerAdapter adapter = new DockerAdapter(socket())) {
            long start = ProcessStat.read(pid).orElseThrow().startTime();
            List<DiscoveredContainer> first = adapter.list();
            assertThat(first).containsExactly(
                    new DiscoveredContainer("docker", "pc-paused", pid, java.util.OptionalLong.of(start)),
                    new DiscoveredContainer("docker", "pc-web", pid, java.util.OptionalLong.of(start)));
            assertThat(s.targets()).containsExactly("/containers/json", "/containers/" + PAUSED + "/json",
                    "/containers/" + WEB + "/json");
            assertThat(adapter.list()).isEqualTo(first);
            assertThat(s.targets()).hasSize(4).last().isEqualTo("/containers/json");
        }
    }

    @Test
    void skipsAContainerWhoseInitIsGone() throws Exception {
        byte[] listing = HttpResponseTest.recorded("containers-content-length.http");
        byte[] inspect = inspectWithPid(Integer.MAX_VALUE - 1); // no such process
        byte[] missing = HttpResponseTest.recorded("inspect-missing.http");
        try (ReplaySocket s = new ReplaySocket(socket(), t -> ReplaySocket.Reply.of(
                t.equals("/containers/json") ? listing : t.contains(PAUSED) ? missing : inspect));
                DockerAdapter adapter = new DockerAdapter(socket())) {
            assertThat(adapter.list()).isEmpty();
        }
    }

    @Test
    void takesAPathOrAUnixUrlAndRefusesAnythingElse() {
        assertThat(DockerAdapter.socketPath("/run/docker.sock")).isEqualTo(Path.of("/run/docker.sock"));
        assertThat(DockerAdapter.socketPath("unix:///var/run/docker.sock")).isEqualTo(Path.of("/var/run/docker.sock"));
        for (String bad : List.of("tcp://127.0.0.1:2375", "docker.sock", "unix://", "ssh://host")) {
            assertThatThrownBy(() -> DockerAdapter.socketPath(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("docker.socket");
        }
    }
}
