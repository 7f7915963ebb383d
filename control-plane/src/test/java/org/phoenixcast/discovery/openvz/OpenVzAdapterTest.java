package org.phoenixcast.discovery.openvz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.phoenixcast.discovery.DiscoveredContainer;
import org.phoenixcast.linux.ProcessStat;

/**
 * The adapter with a stand-in vzlist that prints the reconstructed sample, a temporary
 * /var/run/ve and a live child process as every container's init. What the OpenVZ kernel would
 * answer (envID) is the one thing faked: {@link #probe} accepts the child for the CTIDs in
 * {@link #kernelSays}; {@link OpenVzAdapter#isInitOf} is tested on its own below.
 */
class OpenVzAdapterTest {
    @TempDir
    Path tmp;
    private Path runDir;
    private Process init;
    private long initStart;
    private Set<String> kernelSays = Set.of("101", "104", "b5fbf5d3-2a0c-4a76-a2f3-6f4e2d1c8f10", "105",
            "7e2c1a9b-8f5d-4e3b-9c1a-2b3c4d5e6f70");
    private OpenVzAdapter adapter;

    private OptionalLong probe(String ctid, int pid) {
        return kernelSays.contains(ctid) && pid == init.pid() ? OptionalLong.of(initStart) : OptionalLong.empty();
    }

    /** A vzlist that checks its arguments and prints {@code output} with {@code exit}. */
    private Path fakeVzlist(String output, int exit) throws IOException {
        Path out = Files.writeString(tmp.resolve("vzlist.out"), output);
        Path script = tmp.resolve("vzlist");
        Files.writeString(script, "#!/bin/sh\n"
                + "[ \"$*\" = \"-H -o ctid,status,name\" ] || { echo \"bad args: $*\" >&2; exit 9; }\n"
                + "cat '" + out + "'\necho 'a warning' >&2\nexit " + exit + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    @BeforeEach
    void start() throws IOException {
        runDir = Files.createDirectories(tmp.resolve("ve"));
        init = new ProcessBuilder("sleep", "300").start();
        initStart = ProcessStat.read((int) init.pid()).orElseThrow().startTime();
        adapter = new OpenVzAdapter(fakeVzlist(VzlistOutputTest.recorded("vzlist-H-o-ctid-status-name.txt"), 0).toString(),
                runDir, this::probe);
    }

    @AfterEach
    void stop() {
        adapter.close();
        init.destroyForcibly();
    }

    private void pidFile(String ctid, String content) throws IOException {
        Files.writeString(runDir.resolve(ctid + ".init.pid"), content);
    }

    private DiscoveredContainer found(String name) {
        return new DiscoveredContainer("openvz", name, (int) init.pid(), OptionalLong.of(initStart));
    }

    @Test
    void listsRunningContainersByNameOrCtidWithTheirInit() throws IOException {
        for (String ctid : kernelSays) pidFile(ctid, Long.toString(init.pid()));
        assertThat(adapter.list()).containsExactlyInAnyOrder(
                found("101"), // no name
                found("web"),
                found("db"),
                found("105")); // "my web" is no castd name: known by its CTID
        // the paused one is left out
    }

    @Test
    void leavesOutAContainerWithoutInitPidFileOrThatTheKernelDoesNotConfirm() throws IOException {
        pidFile("104", Long.toString(init.pid()));
        pidFile("101", "1");
        pidFile("105", "x");
        kernelSays = Set.of("101", "105");
        assertThat(adapter.list()).isEmpty();
        kernelSays = Set.of("104");
        assertThat(adapter.list()).containsExactly(found("web"));
    }

    @Test
    void aMissingVzlistMeansNoContainers() throws IOException {
        try (OpenVzAdapter missing = new OpenVzAdapter(tmp.resolve("no-vzlist").toString(), runDir, this::probe)) {
            assertThat(missing.list()).isEmpty();
            assertThat(missing.list()).isEmpty();
        }
    }

    @Test
    void aFailingVzlistIsAnErrorWithItsMessage() throws IOException {
        try (OpenVzAdapter failing = new OpenVzAdapter(fakeVzlist("", 1).toString(), runDir, this::probe)) {
            assertThatThrownBy(failing::list).isInstanceOf(IOException.class).hasMessageContaining("exited with 1")
                    .hasMessageContaining("a warning");
        }
    }

    @Test
    void readsThePidFileOnlyAsAPlainFileWithAPid() throws IOException {
        pidFile("104", "12345");
        assertThat(adapter.readPidFile("104")).hasValue(12345);
        pidFile("104", " 12345\n");
        assertThat(adapter.readPidFile("104")).hasValue(12345);
        assertThat(adapter.readPidFile("999")).isEmpty();
        pidFile("105", "12345 6");
        assertThatThrownBy(() -> adapter.readPidFile("105")).hasMessageContaining("not a PID");
        pidFile("106", "4294967296");
        assertThatThrownBy(() -> adapter.readPidFile("106")).hasMessageContaining("not a container's init");
        Files.createSymbolicLink(runDir.resolve("107.init.pid"), runDir.resolve("104.init.pid"));
        assertThatThrownBy(() -> adapter.readPidFile("107")).isInstanceOf(org.phoenixcast.linux.LinuxException.class)
                .hasMessageContaining("107.init.pid").hasMessageContaining("symbolic links");
        assertThatThrownBy(() -> adapter.readPidFile("../104")).hasMessageContaining("not a plain word");
    }

    @Test
    void confirmsAnInitOnlyByTheKernelsEnvIdAndNamespacePid() {
        String status = VzlistOutputTest.recorded("proc-status-init-vz7.txt");
        assertThat(OpenVzAdapter.isInitOf(status, "104")).isTrue();
        assertThat(OpenVzAdapter.isInitOf(status, "105")).isFalse();
        assertThat(OpenVzAdapter.isInitOf(status.replace("NSpid:\t6548\t1", "NSpid:\t6548\t7"), "104")).isFalse();
        assertThat(OpenVzAdapter.isInitOf("Name:\tinit\nenvID:\t104\nVPid:\t1\n", "104")).isTrue();
        assertThat(OpenVzAdapter.isInitOf("Name:\tinit\nenvID:\t104\nVPid:\t2\n", "104")).isFalse();
        assertThat(OpenVzAdapter.isInitOf("Name:\tinit\nNSpid:\t6548\t1\n", "104")).as("not an OpenVZ kernel").isFalse();
    }

    @Test
    void theRealProbeRefusesAProcessOutsideAnyOpenVzContainer() throws IOException {
        assertThat(OpenVzAdapter.procInitStartTime("104", (int) init.pid())).isEmpty();
    }

    @Test
    void wakesWhenAnInitPidFileAppearsAndListsAgainSoonWhileTheContainerStarts() throws Exception {
        adapter.list();
        for (int i = 0; i < 10; i++) {
            long t0 = System.nanoTime();
            adapter.awaitChange(Duration.ofMillis(100));
            if (System.nanoTime() - t0 > TimeUnit.MILLISECONDS.toNanos(90)) break;
        }
        CompletableFuture<Long> waited = CompletableFuture.supplyAsync(() -> {
            long t0 = System.nanoTime();
            try {
                adapter.awaitChange(Duration.ofSeconds(20));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return (System.nanoTime() - t0) / 1_000_000;
        });
        Thread.sleep(150);
        assertThat(waited).isNotDone();
        kernelSays = Set.of();
        pidFile("104", Long.toString(init.pid())); // libvzctl writes it before the container runs
        assertThat(waited.get(5, TimeUnit.SECONDS)).isLessThan(5000);
        assertThat(adapter.list()).isEmpty();
        long t0 = System.nanoTime();
        adapter.awaitChange(Duration.ofSeconds(20));
        assertThat((System.nanoTime() - t0) / 1_000_000).as("a short re-listing, not the resync").isLessThan(1000);
    }
}
