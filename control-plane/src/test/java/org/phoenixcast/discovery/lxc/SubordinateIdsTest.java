package org.phoenixcast.discovery.lxc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SubordinateIdsTest {
    @TempDir
    Path tmp;

    static Stream<Arguments> files() {
        return Stream.of(
                Arguments.of("", false),
                Arguments.of("root:100000:65536\n", true),
                Arguments.of("root:100000:65536", true),
                Arguments.of("root:0:4294967295\n", true),
                Arguments.of("root:100000:65535\n", false),
                Arguments.of("root:100001:65536\n", false),
                Arguments.of("lxd:100000:65536\n", false),
                Arguments.of("# comment\nalice:165536:65536\nroot:100000:1000000000\n", true),
                Arguments.of("root:x:y\n", false));
    }

    @ParameterizedTest
    @MethodSource("files")
    void recognisesALineCoveringTheRange(String text, boolean covered) {
        assertThat(SubordinateIds.covers(text, "root", 100_000, 65_536)).isEqualTo(covered);
    }

    @Test
    void appendsTheLineOnceAndKeepsWhatWasThere() throws Exception {
        Path subuid = tmp.resolve("subuid");
        Files.writeString(subuid, "alice:165536:65536");
        assertThat(SubordinateIds.ensure(subuid, "root", 100_000, 65_536)).isTrue();
        assertThat(SubordinateIds.ensure(subuid, "root", 100_000, 65_536)).isFalse();
        assertThat(Files.readString(subuid)).isEqualTo("alice:165536:65536\nroot:100000:65536\n");
        Path missing = tmp.resolve("subgid");
        assertThat(SubordinateIds.ensure(missing, "root", 100_000, 65_536)).isTrue();
        assertThat(Files.readString(missing)).isEqualTo("root:100000:65536\n");
    }
}
