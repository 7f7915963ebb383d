package org.phoenixcast.discovery.runc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.phoenixcast.discovery.DiscoveredContainer;
import org.phoenixcast.linux.ProcessStat;
import org.phoenixcast.testing.TestMounts;

/**
 * The adapter on a runc state directory laid out as runc 1.1.5 lays it out, with the recorded
 * state.json pointed at a live child process of the test (a real PID and starttime).
 */
class RuncAdapterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    private Path root;
    private RuncAdapter adapter;
    private Process init;
    private long initStart;

    @BeforeEach
    void start() throws IOException {
        root = tmp.resolve("runc");
        adapter = new RuncAdapter(root);
        init = new ProcessBuilder("sleep", "300").start();
        initStart = ProcessStat.read((int) init.pid()).orElseThrow().startTime();
    }

    @AfterEach
    void stop() {
        adapter.close();
        init.destroyForcibly();
    }

    /** Writes {@code <root>/<id>/state.json} as runc does: a temp file renamed into place. */
    private Path writeState(String id, long pid, long start) throws IOException {
        Path dir = Files.createDirectories(root.resolve(id));
        ObjectNode state = (ObjectNode) JSON.readTree(RuncStateTest.recorded("state-privileged-running.json"));
        state.put("id", id).put("init_process_pid", pid).put("init_process_start", start);
        Path tmpFile = Files.createTempFile(dir, "state-", "");
        Files.write(tmpFile, JSON.writeValueAsBytes(state));
        Files.move(tmpFile, dir.resolve("state.json"), StandardCopyOption.ATOMIC_MOVE);
        return dir;
    }

    private DiscoveredContainer expected(String id) {
        return new DiscoveredContainer("runc", id, (int) init.pid(), OptionalLong.of(initStart));
    }

    private static void mkfifo(Path p) throws Exception {
        assertThat(new ProcessBuilder("mkfifo", p.toString()).start().waitFor()).isZero();
    }

    @Test
    void findsNothingWithoutAStateDirectory() throws IOException {
        assertThat(adapter.list()).isEmpty();
    }

    @Test
    void listsARunningContainerWithItsInitAndStartTime() throws IOException {
        writeState("web", init.pid(), initStart);
        assertThat(adapter.list()).containsExactly(expected("web"));
    }

    @Test
    void leavesOutACreatedContainerUntilExecFifoIsGone() throws Exception {
        Path dir = writeState("web", init.pid(), initStart);
        mkfifo(dir.resolve("exec.fifo"));
        assertThat(adapter.list()).isEmpty();
        Files.delete(dir.resolve("exec.fifo")); // what `runc start` does
        assertThat(adapter.list()).containsExactly(expected("web"));
    }

    @Test
    void leavesOutAStoppedContainerAndAReusedPid() throws Exception {
        writeState("reused", init.pid(), initStart + 1);
        Process dead = new ProcessBuilder("true").start();
        long deadStart = ProcessStat.read((int) dead.pid()).map(ProcessStat::startTime).orElse(1L);
        dead.waitFor();
        writeState("stopped", dead.pid(), deadStart);
        assertThat(adapter.list()).isEmpty();
    }

    @Test
    void skipsEntriesThatAreNotContainersAndKeepsTheOthers() throws Exception {
        writeState("web", init.pid(), initStart);
        Files.createDirectories(root.resolve("creating")); // runc has not written state.json yet
        Files.writeString(Files.createDirectories(root.resolve("garbage")).resolve("state.json"), "{not json");
        Path renamed = writeState("renamed", init.pid(), initStart);
        ObjectNode other = (ObjectNode) JSON.readTree(Files.readAllBytes(renamed.resolve("state.json")));
        Files.write(renamed.resolve("state.json"), JSON.writeValueAsBytes(other.put("id", "web")));
        // a valid container directory outside the root, reached through symlinks: never followed
        Path outside = writeState("outside", init.pid(), initStart);
        Files.move(outside, tmp.resolve("outside"));
        Files.createSymbolicLink(root.resolve("linked-dir"), tmp.resolve("outside"));
        Files.createDirectories(root.resolve("linked-state"));
        Files.createSymbolicLink(root.resolve("linked-state/state.json"), tmp.resolve("outside/state.json"));
        Files.createDirectories(root.resolve("fifo-state"));
        mkfifo(root.resolve("fifo-state/state.json")); // opened O_NONBLOCK: does not hang the listing
        Files.writeString(root.resolve("a-file"), "x");

        assertThat(adapter.list()).containsExactly(expected("web"));
    }

    @Test
    void refusesAHugeStateFile() throws Exception {
        Path dir = Files.createDirectories(root.resolve("big"));
        Files.write(dir.resolve("state.json"), new byte[RuncAdapter.MAX_STATE_BYTES + 10]);
        assertThat(adapter.list()).isEmpty();
    }

    /** Lists and waits until a wait lasts its whole (short) timeout: every watch is armed. */
    private void settle() throws Exception {
        for (int i = 0; i < 20; i++) {
            adapter.list();
            long t0 = System.nanoTime();
            adapter.awaitChange(Duration.ofMillis(100));
            if (System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(90)) return;
        }
        throw new AssertionError("awaitChange never blocked");
    }

    /** Starts a wait of up to 20 s in the background; the future yields how long it took (ms). */
    private CompletableFuture<Long> waitInBackground() throws Exception {
        CompletableFuture<Long> f = CompletableFuture.supplyAsync(() -> {
            long t0 = System.nanoTime();
            try {
                adapter.awaitChange(Duration.ofSeconds(20));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return (System.nanoTime() - t0) / 1_000_000;
        });
        Thread.sleep(150); // let it block
        assertThat(f).isNotDone();
        return f;
    }

    @Test
    void waitsTheWholeTimeoutWhenNothingHappens() throws Exception {
        writeState("web", init.pid(), initStart);
        settle();
        long t0 = System.nanoTime();
        adapter.awaitChange(Duration.ofMillis(400));
        assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(380L, 2000L);
    }

    @Test
    void wakesWhenTheStateDirectoryAppears() throws Exception {
        settle();
        CompletableFuture<Long> waited = waitInBackground();
        Files.createDirectories(root);
        assertThat(waited.get(5, TimeUnit.SECONDS)).isLessThan(5000);
    }

    @Test
    void wakesWhenAContainerDirectoryAppearsAndWhenRuncStartsIt() throws Exception {
        Files.createDirectories(root);
        settle();
        CompletableFuture<Long> waited = waitInBackground();
        Path dir = writeState("web", init.pid(), initStart);
        mkfifo(dir.resolve("exec.fifo"));
        assertThat(waited.get(5, TimeUnit.SECONDS)).isLessThan(5000);

        settle();
        assertThat(adapter.list()).isEmpty();
        waited = waitInBackground();
        Files.delete(dir.resolve("exec.fifo"));
        assertThat(waited.get(5, TimeUnit.SECONDS)).isLessThan(5000);
        assertThat(adapter.list()).containsExactly(expected("web"));
    }

    @Test
    void wakesWhenStateJsonIsReplaced() throws Exception {
        writeState("web", init.pid(), initStart);
        settle();
        CompletableFuture<Long> waited = waitInBackground();
        writeState("web", init.pid(), initStart);
        assertThat(waited.get(5, TimeUnit.SECONDS)).isLessThan(5000);
    }

    @Test
    void wakesWhenAListedInitExitsAlthoughStateJsonStays() throws Exception {
        writeState("web", init.pid(), initStart);
        settle();
        assertThat(adapter.list()).hasSize(1);
        CompletableFuture<Long> waited = waitInBackground();
        init.destroyForcibly().waitFor();
        assertThat(waited.get(5, TimeUnit.SECONDS)).isLessThan(5000);
        assertThat(adapter.list()).isEmpty();
    }

    @Test
    void wakesWhenAContainerIsDeletedAndFollowsOneMadeAgainUnderTheSameId() throws Exception {
        writeState("web", init.pid(), initStart);
        settle();
        CompletableFuture<Long> waited = waitInBackground();
        TestMounts.deleteTree(root.resolve("web"));
        assertThat(waited.get(5, TimeUnit.SECONDS)).isLessThan(5000);
        Path dir = writeState("web", init.pid(), initStart);
        mkfifo(dir.resolve("exec.fifo"));
        settle();
        waited = waitInBackground();
        Files.delete(dir.resolve("exec.fifo"));
        assertThat(waited.get(5, TimeUnit.SECONDS)).isLessThan(5000);
        assertThat(adapter.containerWatchCount()).isEqualTo(1);
    }

    @Test
    void closeWakesAWaiterAndLaterWaitsReturnAtOnce() throws Exception {
        settle();
        CompletableFuture<Long> waited = waitInBackground();
        adapter.close();
        assertThat(waited.get(5, TimeUnit.SECONDS)).isLessThan(5000);
        long t0 = System.nanoTime();
        adapter.awaitChange(Duration.ofSeconds(10));
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(1000);
        adapter.close(); // idempotent
    }
}
