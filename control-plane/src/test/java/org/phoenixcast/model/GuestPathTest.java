package org.phoenixcast.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class GuestPathTest {

    /** 15 components of 255 bytes and one of 254: exactly 4,095 bytes, the longest valid path. */
    private static final String LONGEST = "/" + "a".repeat(255) + ("/" + "a".repeat(255)).repeat(14) + "/" + "b".repeat(254);

    static Stream<Arguments> paths() {
        return Stream.of(
                // valid: input, null
                Arguments.of("/", null),
                Arguments.of("/a", null),
                Arguments.of("/var/tmp", null),
                Arguments.of("/_external/var/tmp", null),
                Arguments.of("/a b", null),
                Arguments.of("/caf\u00e9", null),
                Arguments.of("/.hidden", null),
                Arguments.of("/...", null),
                Arguments.of("/a..b/c.", null),
                Arguments.of("/a:b", null),
                Arguments.of("/" + "x".repeat(255), null),
                Arguments.of(LONGEST, null),
                Arguments.of("/a".repeat(64), null),
                // invalid: input, the problem named in the message
                Arguments.of("", "empty"),
                Arguments.of("relative", "not absolute"),
                Arguments.of("var/tmp", "not absolute"),
                Arguments.of("./a", "not absolute"),
                Arguments.of("~/a", "not absolute"),
                Arguments.of("/..", "contains '..'"),
                Arguments.of("/a/..", "contains '..'"),
                Arguments.of("/a/../b", "contains '..'"),
                Arguments.of("/.", "contains '.'"),
                Arguments.of("/a/.", "contains '.'"),
                Arguments.of("/./a", "contains '.'"),
                Arguments.of("//", "ends with '/'"),
                Arguments.of("//a", "contains '//'"),
                Arguments.of("/a//b", "contains '//'"),
                Arguments.of("/a/", "ends with '/'"),
                Arguments.of("/var/tmp/", "ends with '/'"),
                Arguments.of("/a\0b", "contains a control character"),
                Arguments.of("/a\nb", "contains a control character"),
                Arguments.of("/a\rb", "contains a control character"),
                Arguments.of("/a\tb", "contains a control character"),
                Arguments.of("/a\u001bb", "contains a control character"),
                Arguments.of("/a\u007f", "contains a control character"),
                Arguments.of("/a\u0085", "contains a control character"),
                Arguments.of("/a\u009f", "contains a control character"),
                Arguments.of("/a\uFFFD", "not valid UTF-8"),
                Arguments.of(new String(new byte[] {'/', 'a', (byte) 0xff, 'b'}, StandardCharsets.UTF_8), "not valid UTF-8"),
                Arguments.of(new String(new byte[] {'/', (byte) 0xc0, (byte) 0x80}, StandardCharsets.UTF_8), "not valid UTF-8"),
                Arguments.of(LONGEST + "b", "longer than 4095 bytes"),
                Arguments.of("/" + "a".repeat(4095), "longer than 4095 bytes"),
                Arguments.of("/" + "\u00e9".repeat(2048), "longer than 4095 bytes"),
                Arguments.of("/" + "x".repeat(256), "a component is longer than 255 bytes"),
                Arguments.of("/" + "\u00e9".repeat(128), "a component is longer than 255 bytes"),
                Arguments.of("/a".repeat(65), "more than 64 components"),
                Arguments.of("/a".repeat(1000), "more than 64 components"));
    }

    @ParameterizedTest
    @MethodSource("paths")
    void acceptsOnlyCanonicalAbsolutePaths(String input, String problem) {
        if (problem == null) {
            assertThat(GuestPath.parse(input).value()).isEqualTo(input);
        } else {
            assertThatThrownBy(() -> GuestPath.parse(input))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("invalid path " + Printable.quote(input) + ": ")
                    .hasMessageEndingWith(problem);
        }
    }

    @Test
    void refusesNullNamingTheMissingInput() {
        assertThatThrownBy(() -> GuestPath.parse(null)).hasMessage("invalid path (none): empty");
    }

    @Test
    void escapesControlCharactersInTheMessageSoItStaysOneLine() {
        assertThatThrownBy(() -> GuestPath.parse("/a\nok\0"))
                .hasMessage("invalid path '/a\\x0aok\\x00': contains a control character");
    }

    @Test
    void capsAHugeInputInTheMessage() {
        String huge = "/" + "a".repeat(5000);
        assertThatThrownBy(() -> GuestPath.parse(huge))
                .hasMessage("invalid path '/" + "a".repeat(119) + "...(5001 chars)': longer than 4095 bytes");
    }

    static Stream<Arguments> ancestry() {
        return Stream.of(
                Arguments.of("/var/tmp", "/var/tmp", true),
                Arguments.of("/var/tmp/x", "/var/tmp", true),
                Arguments.of("/var/tmp", "/var", true),
                Arguments.of("/var/tmp", "/", true),
                Arguments.of("/", "/", true),
                Arguments.of("/var/tmp2", "/var/tmp", false),
                Arguments.of("/var", "/var/tmp", false),
                Arguments.of("/", "/var", false),
                Arguments.of("/variable", "/var", false));
    }

    @ParameterizedTest
    @MethodSource("ancestry")
    void isAtOrBelowComparesWholeComponents(String path, String ancestor, boolean expected) {
        assertThat(GuestPath.parse(path).isAtOrBelow(GuestPath.parse(ancestor))).isEqualTo(expected);
    }

    @Test
    void listsComponentsAndAncestorsFromTheRoot() {
        GuestPath p = GuestPath.parse("/srv/data/x");
        assertThat(p.components()).containsExactly("srv", "data", "x");
        assertThat(p.ancestors()).extracting(GuestPath::value).containsExactly("/", "/srv", "/srv/data");
        assertThat(GuestPath.ROOT.components()).isEmpty();
        assertThat(GuestPath.ROOT.ancestors()).isEmpty();
        assertThat(GuestPath.ROOT.resolve("a")).isEqualTo(GuestPath.parse("/a"));
        assertThat(p.resolve("y").value()).isEqualTo("/srv/data/x/y");
    }

    @Test
    void resolveRefusesAComponentThatWouldEscape() {
        assertThatThrownBy(() -> GuestPath.parse("/srv").resolve("..")).hasMessageContaining("contains '..'");
        assertThatThrownBy(() -> GuestPath.parse("/srv").resolve("a/")).hasMessageContaining("ends with '/'");
    }

    @Test
    void sortsByValue() {
        List<GuestPath> sorted = Stream.of("/b", "/a/b", "/a").map(GuestPath::parse).sorted().toList();
        assertThat(sorted).extracting(GuestPath::value).containsExactly("/a", "/a/b", "/b");
    }
}
