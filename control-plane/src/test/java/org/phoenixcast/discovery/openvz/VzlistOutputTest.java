package org.phoenixcast.discovery.openvz;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Against samples reconstructed from vzctl's vzlist.c (see the README next to them), not captured. */
class VzlistOutputTest {

    static String recorded(String name) {
        try {
            return Files.readString(Path.of(VzlistOutputTest.class.getResource(name).toURI()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void readsTheReconstructedListing() {
        VzlistOutput.Parsed p = VzlistOutput.parse(recorded("vzlist-H-o-ctid-status-name.txt"));
        assertThat(p.rejected()).isEmpty();
        assertThat(p.entries()).containsExactly(
                new VzlistOutput.Entry("101", "running", null),
                new VzlistOutput.Entry("104", "running", "web"),
                new VzlistOutput.Entry("b5fbf5d3-2a0c-4a76-a2f3-6f4e2d1c8f10", "running", "db"),
                new VzlistOutput.Entry("7e2c1a9b-8f5d-4e3b-9c1a-2b3c4d5e6f70", "paused", "cache"),
                new VzlistOutput.Entry("105", "running", "my web"));
        assertThat(p.entries().get(3).running()).isFalse();
    }

    @Test
    void anEmptyListingHasNoContainers() {
        assertThat(VzlistOutput.parse("").entries()).isEmpty();
        assertThat(VzlistOutput.parse("\n\n").entries()).isEmpty();
    }

    static Stream<Arguments> odd() {
        return Stream.of(
                Arguments.of("      101", "fewer than two fields"),
                Arguments.of("../etc running web", "not a CTID"),
                Arguments.of("1/2 running web", "not a CTID"),
                Arguments.of("-101 running web", "not a CTID"),
                Arguments.of("101 RUNNING web", "not a status"),
                Arguments.of("101 run-ning web", "not a status"));
    }

    @ParameterizedTest
    @MethodSource("odd")
    void rejectsOddLinesWithTheReasonAndKeepsTheRest(String line, String reason) {
        VzlistOutput.Parsed p = VzlistOutput.parse("  104 running   web\n" + line + "\n");
        assertThat(p.entries()).containsExactly(new VzlistOutput.Entry("104", "running", "web"));
        assertThat(p.rejected()).singleElement().satisfies(r -> {
            assertThat(r.untrustedLine()).isEqualTo(line);
            assertThat(r.reason()).isEqualTo(reason);
        });
    }
}
