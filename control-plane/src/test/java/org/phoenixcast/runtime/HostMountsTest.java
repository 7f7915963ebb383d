package org.phoenixcast.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class HostMountsTest {
    private static final String MOUNTINFO = String.join("\n",
            "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
            "80 27 0:50 / /var/lib/castd/sandboxes/a/root/tmp rw - tmpfs tmpfs rw",
            "81 27 0:51 / /var/lib/castd/sandboxes/a\\040b/x rw - tmpfs tmpfs rw",
            "82 27 0:52 / /var/lib/castd/sandboxes/ab rw - tmpfs tmpfs rw",
            "83 27 0:53 / /var/lib/castd/sandboxes/a rw - tmpfs tmpfs rw",
            "");

    static Stream<Arguments> escapes() {
        return Stream.of(
                Arguments.of("/plain", "/plain"),
                Arguments.of("/a\\040b", "/a b"),
                Arguments.of("/tab\\011x", "/tab\tx"),
                Arguments.of("/nl\\012x", "/nl\nx"),
                Arguments.of("/back\\134slash", "/back\\slash"),
                Arguments.of("/short\\04", "/short\\04"),
                Arguments.of("/caf\\303\\251", "/café"));
    }

    @ParameterizedTest
    @MethodSource("escapes")
    void findsMountPointsWithTheKernelsOctalEscapesDecoded(String field, String path) {
        byte[] line = ("90 27 0:60 / " + field + " rw - tmpfs tmpfs rw\n").getBytes(StandardCharsets.UTF_8);
        assertThat(HostMounts.beneath(line, Path.of("/"))).containsExactly(Path.of(path));
    }

    @Test
    void findsMountsAtOrBeneathADirectoryButNotSiblingsSharingAPrefix() {
        assertThat(HostMounts.beneath(MOUNTINFO.getBytes(StandardCharsets.UTF_8), Path.of("/var/lib/castd/sandboxes/a")))
                .containsExactlyInAnyOrder(Path.of("/var/lib/castd/sandboxes/a/root/tmp"),
                        Path.of("/var/lib/castd/sandboxes/a"));
    }

    @Test
    void findsNothingUnderAnUnmountedDirectory() {
        assertThat(HostMounts.beneath(MOUNTINFO.getBytes(StandardCharsets.UTF_8), Path.of("/var/lib/castd/sandboxes/zz"))).isEmpty();
    }
}
