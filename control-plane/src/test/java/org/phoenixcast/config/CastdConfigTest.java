package org.phoenixcast.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.phoenixcast.model.GuestPath;

class CastdConfigTest {
    @TempDir Path dir;

    private CastdConfig load(String text) throws IOException {
        Path file = dir.resolve("castd.conf");
        Files.writeString(file, text);
        return CastdConfig.load(file, null);
    }

    @Test
    void usesTheDefaultsWithoutAFile() throws IOException {
        CastdConfig c = CastdConfig.load(null, null);
        assertThat(c).isEqualTo(CastdConfig.defaults(Path.of("/var/lib/phoenix-cast")));
        assertThat(c.resyncInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.dropMaxBytes()).isEqualTo(1 << 20);
        assertThat(c.dropMaxInodes()).isEqualTo(256);
        assertThat(c.dropMaxInodes() * 4096).as("inodes and 4 KiB pages run out together").isEqualTo(c.dropMaxBytes());
        assertThat(c.guestMaxQueued()).isEqualTo(1024);
        assertThat(c.guestRequestsPerSecond()).isEqualTo(200);
        assertThat(c.requestMaxBytes()).isEqualTo(16384);
        assertThat(c.requestMaxLines()).isEqualTo(64);
        assertThat(c.replyRetention()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.forbiddenTargets()).isEmpty();
        assertThat(c.databaseDir()).isEqualTo(Path.of("/var/lib/phoenix-cast/db"));
        assertThat(c.guestsDir()).isEqualTo(Path.of("/var/lib/phoenix-cast/guests"));
        assertThat(c.adminSocket()).isEqualTo(Path.of("/var/lib/phoenix-cast/castd.sock"));
    }

    @Test
    void readsEverySetting() throws IOException {
        CastdConfig c = load("""
                # comment
                state-dir = /srv/castd
                forbidden-targets = /boot, /opt/secret ,,
                resync-seconds = 5
                drop-max-bytes = 2048
                drop-max-inodes = 16
                request-max-bytes = 4096
                request-max-lines = 8
                reply-retention-seconds = 60
                guest-max-queued = 32
                guest-requests-per-second = 7
                """);
        assertThat(c).isEqualTo(new CastdConfig(Path.of("/srv/castd"), List.of(GuestPath.parse("/boot"), GuestPath.parse("/opt/secret")),
                Duration.ofSeconds(5), 2048, 16, 4096, 8, Duration.ofSeconds(60), 32, 7,
                org.phoenixcast.config.RuntimeConfig.defaults()));
    }

    @Test
    void letsTheCommandLineStateDirWinAndMakesItAbsolute() throws IOException {
        Path file = dir.resolve("castd.conf");
        Files.writeString(file, "state-dir = /srv/castd\n");
        assertThat(CastdConfig.load(file, dir.resolve("override")).stateDir()).isEqualTo(dir.resolve("override"));
        assertThat(CastdConfig.load(null, Path.of("relative")).stateDir()).isEqualTo(Path.of("relative").toAbsolutePath());
    }

    static Stream<Arguments> badSettings() {
        return Stream.of(
                Arguments.of("resync_seconds = 5", "unknown setting 'resync_seconds'"),
                Arguments.of("state-directory = /x", "unknown setting 'state-directory'"),
                Arguments.of("resync-seconds = five", "resync-seconds must be a positive integer, not 'five'"),
                Arguments.of("resync-seconds = 0", "resync-seconds must be a positive integer, not '0'"),
                Arguments.of("drop-max-bytes = -1", "drop-max-bytes must be a positive integer, not '-1'"),
                Arguments.of("drop-max-inodes = 1.5", "drop-max-inodes must be a positive integer, not '1.5'"),
                Arguments.of("request-max-bytes =", "request-max-bytes must be a positive integer, not ''"),
                Arguments.of("request-max-lines = 99999999999999999999", "request-max-lines must be a positive integer"),
                Arguments.of("request-max-bytes = 4294967297", "request-max-bytes must be a positive integer"),
                Arguments.of("request-max-lines = 2147483648", "request-max-lines must be a positive integer"),
                Arguments.of("reply-retention-seconds = 1h", "reply-retention-seconds must be a positive integer, not '1h'"),
                Arguments.of("guest-max-queued = 0", "guest-max-queued must be a positive integer, not '0'"),
                Arguments.of("guest_max_queued = 5", "unknown setting 'guest_max_queued'"),
                Arguments.of("guest-requests-per-second = 1000001",
                        "guest-requests-per-second must be a positive integer at most 1000000"),
                Arguments.of("forbidden-targets = boot", "forbidden-targets"),
                Arguments.of("forbidden-targets = /boot/", "forbidden-targets"));
    }

    @ParameterizedTest
    @MethodSource("badSettings")
    void refusesABadSettingNamingIt(String line, String message) {
        assertThatThrownBy(() -> load(line + "\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void acceptsTheLargestIntSizes() throws IOException {
        CastdConfig c = load("request-max-bytes = 2147483647\nrequest-max-lines = 2147483647\n");
        assertThat(c.requestMaxBytes()).isEqualTo(Integer.MAX_VALUE);
        assertThat(c.requestMaxLines()).isEqualTo(Integer.MAX_VALUE);
    }
}
