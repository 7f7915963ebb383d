package org.phoenixcast.discovery.podman;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.phoenixcast.config.RuntimeConfig;
import org.phoenixcast.discovery.DiscoveredContainer;
import org.phoenixcast.linux.ProcessStat;

/** The adapter without a real podman: absence, and the PID check on what podman printed. */
class PodmanAdapterTest {
    @TempDir
    Path dir;

    @Test
    void aMissingPodmanMeansNoContainersAndAQuietWait() throws Exception {
        RuntimeConfig config = new RuntimeConfig(java.util.List.of("podman"),
                Map.of("podman.command", "no-such-podman-phoenix-cast"), ".*", Duration.ofSeconds(60));
        try (PodmanAdapter adapter = new PodmanAdapter(config)) {
            assertThat(adapter.list()).isEmpty();
            long start = System.nanoTime();
            adapter.awaitChange(Duration.ofMillis(700));
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(650);
        }
    }

    @Test
    void reportsLiveInitsWithTheirStarttimeAndDropsDeadOnes() throws Exception {
        int live = (int) ProcessHandle.current().pid();
        Path bin = dir.resolve("podman");
        Files.writeString(bin, "#!/bin/sh\ncat <<'EOF'\n[{\"Names\":[\"web\"],\"State\":\"running\",\"Pid\":" + live
                + "},{\"Names\":[\"gone\"],\"State\":\"running\",\"Pid\":" + (Integer.MAX_VALUE - 1) + "}]\nEOF\n");
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwx------"));
        try (PodmanAdapter adapter = new PodmanAdapter(new PodmanCli(bin.toString(), "", ""))) {
            assertThat(adapter.list()).containsExactly(
                    new DiscoveredContainer("podman", "web", live, OptionalLong.of(ProcessStat.read(live).orElseThrow().startTime())));
        }
    }
}
