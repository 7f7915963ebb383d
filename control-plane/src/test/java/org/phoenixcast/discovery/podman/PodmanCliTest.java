package org.phoenixcast.discovery.podman;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.phoenixcast.discovery.EventFollower;

/**
 * How castd runs the podman CLI: argv, availability, and the bounds on a run (time, output),
 * with a shell script standing in for the binary (the real podman is PodmanAdapterIT's).
 */
class PodmanCliTest {
    @TempDir
    Path dir;

    /** A stand-in "podman" that behaves as $1 after the storage flags says. */
    private PodmanCli standIn(String script) throws IOException {
        Path bin = dir.resolve("podman");
        Files.writeString(bin, "#!/bin/sh\n" + script);
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwx------"));
        return new PodmanCli(bin.toString(), "", "");
    }

    @Test
    void passesRootAndRunrootToEveryCallWhenSet() {
        assertThat(new PodmanCli("podman", "/srv/c", "/run/c").argv(List.of("ps", "--format", "json")))
                .containsExactly("podman", "--root", "/srv/c", "--runroot", "/run/c", "ps", "--format", "json");
        assertThat(new PodmanCli("podman", "", "").argv(List.of("ps"))).containsExactly("podman", "ps");
    }

    @Test
    void isNotThereWithoutItsBinaryOrItsConfiguredStorage() throws IOException {
        assertThat(new PodmanCli("no-such-podman-phoenix-cast", "", "").available()).isFalse();
        assertThat(new PodmanCli(dir.resolve("missing").toString(), "", "").available()).isFalse();
        PodmanCli present = standIn("exit 0");
        assertThat(present.available()).isTrue();
        String bin = dir.resolve("podman").toString();
        assertThat(new PodmanCli(bin, dir.resolve("no-root").toString(), "").available())
                .as("castd must not make podman create an admin's storage").isFalse();
        assertThat(new PodmanCli(bin, "", dir.resolve("no-runroot").toString()).available()).isFalse();
        assertThat(new PodmanCli(bin, dir.toString(), dir.toString()).available()).isTrue();
    }

    @Test
    void returnsStdoutAndReportsStderrWhenItFails() throws IOException {
        PodmanCli ok = standIn("echo '[]'; echo 'WARN[0000] noise' >&2");
        assertThat(new String(ok.run(List.of("ps"), Duration.ofSeconds(10), 100), StandardCharsets.UTF_8)).isEqualTo("[]\n");
        PodmanCli failing = standIn("echo 'Error: database is locked' >&2; echo second >&2; exit 125");
        assertThatThrownBy(() -> failing.run(List.of("ps"), Duration.ofSeconds(10), 100))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("podman ps failed (exit 125)")
                .hasMessageContaining("database is locked")
                .hasMessageNotContaining("second");
    }

    @Test
    void killsARunThatTakesTooLong() throws IOException {
        PodmanCli hanging = standIn("echo $$ > '" + dir.resolve("pid") + "'; exec sleep 600");
        long start = System.nanoTime();
        assertThatThrownBy(() -> hanging.run(List.of("ps"), Duration.ofMillis(500), 100))
                .isInstanceOf(IOException.class).hasMessageContaining("did not finish");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        long pid = Long.parseLong(Files.readString(dir.resolve("pid")).strip());
        await().atMost(Duration.ofSeconds(5)).until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
    }

    @Test
    void refusesOutputBeyondItsLimitAndKillsTheWriter() throws IOException {
        PodmanCli chatty = standIn("echo $$ > '" + dir.resolve("pid") + "'; exec yes '[{}]'");
        assertThatThrownBy(() -> chatty.run(List.of("ps"), Duration.ofSeconds(10), 1 << 16))
                .isInstanceOf(IOException.class).hasMessageContaining("more than 65536 bytes");
        long pid = Long.parseLong(Files.readString(dir.resolve("pid")).strip());
        await().atMost(Duration.ofSeconds(5)).until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
    }

    @Test
    void theEventStreamCarriesSinceAndTypeAndCloseKillsTheChild() throws IOException {
        Path args = dir.resolve("args");
        PodmanCli streaming = standIn("echo \"$@\" > '" + args + "'; echo $$ > '" + dir.resolve("pid") + "'; "
                + "echo '{\"Type\":\"container\",\"Status\":\"start\"}'; echo 'WARN oops' >&2; exec sleep 600");
        EventFollower.Stream stream = streaming.events(1795497113L);
        byte[] buf = new byte[4096];
        StringBuilder out = new StringBuilder();
        while (!out.toString().contains("oops")) {
            int n = stream.read(buf);
            assertThat(n).isPositive();
            out.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
        assertThat(out.toString()).contains("\"Status\":\"start\"").as("stderr merged").contains("WARN oops");
        assertThat(Files.readString(args).strip())
                .isEqualTo("events --format json --filter type=container --since 1795497113");
        long pid = Long.parseLong(Files.readString(dir.resolve("pid")).strip());
        stream.close();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }

    @Test
    void theEventStreamRunsBehindAParentDeathSignal() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")), "util-linux setpriv");
        assertThat(new PodmanCli("podman", "/srv/c", "").eventsArgv(7)).containsExactly("/usr/bin/setpriv",
                "--pdeathsig", "KILL", "--", "podman", "--root", "/srv/c", "events", "--format", "json", "--filter",
                "type=container", "--since", "7");
    }
}
