package org.phoenixcast.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RequestBodyTest {

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) b[i] = (byte) values[i];
        return b;
    }

    static Stream<Arguments> contents() {
        return Stream.of(
                Arguments.of(new byte[0], "", null),
                Arguments.of("104:/var/tmp\n".getBytes(StandardCharsets.UTF_8), "104:/var/tmp\n", null),
                Arguments.of("/caf\u00e9 web2".getBytes(StandardCharsets.UTF_8), "/caf\u00e9 web2", null),
                Arguments.of("\uD83D\uDE00".getBytes(StandardCharsets.UTF_8), "\uD83D\uDE00", null),
                Arguments.of(bytes('/', 'a', 0xff), null, "request is not valid UTF-8"),
                Arguments.of(bytes('/', 0xc0, 0x80), null, "request is not valid UTF-8"),
                Arguments.of(bytes('/', 0xed, 0xa0, 0x80), null, "request is not valid UTF-8"),
                Arguments.of(bytes('/', 0xe2, 0x82), null, "request is not valid UTF-8"),
                Arguments.of(bytes('/', 0xf8, 0x88, 0x80, 0x80, 0x80), null, "request is not valid UTF-8"),
                Arguments.of(bytes('/', 'a', 0, 'b'), null, "request contains a NUL byte"),
                Arguments.of(bytes(0), null, "request contains a NUL byte"));
    }

    @ParameterizedTest
    @MethodSource("contents")
    void decodesOnlyStrictUtf8WithoutNul(byte[] input, String text, String refusal) {
        if (refusal == null) {
            assertThat(RequestBody.decode(input)).isEqualTo(text);
        } else {
            assertThatThrownBy(() -> RequestBody.decode(input))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(refusal);
        }
    }

    static Stream<Arguments> bodies() {
        return Stream.of(
                Arguments.of("", List.of("")),
                Arguments.of("\n", List.of("")),
                Arguments.of("a", List.of("a")),
                Arguments.of("a\n", List.of("a")),
                Arguments.of("a\nb", List.of("a", "b")),
                Arguments.of("a\nb\n", List.of("a", "b")),
                Arguments.of("a\r\nb\r\n", List.of("a", "b")),
                Arguments.of("a\n\nb", List.of("a", "", "b")),
                Arguments.of("a\n\n", List.of("a", "")),
                Arguments.of("a\rb", List.of("a\rb")),
                Arguments.of("1\n2\n3\n4", List.of("1", "2", "3", "4")));
    }

    @ParameterizedTest
    @MethodSource("bodies")
    void splitsOneRequestPerLine(String body, List<String> lines) {
        assertThat(RequestBody.lines(body, 4)).isEqualTo(lines);
    }

    @Test
    void refusesMoreLinesThanAllowedNamingBothCounts() {
        assertThatThrownBy(() -> RequestBody.lines("1\n2\n3\n4\n5\n", 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("request has 5 lines; at most 4 allowed");
        assertThatThrownBy(() -> RequestBody.lines("\n\n", 1)).hasMessage("request has 2 lines; at most 1 allowed");
        assertThat(RequestBody.lines("\n", 1)).containsExactly("");
    }
}
