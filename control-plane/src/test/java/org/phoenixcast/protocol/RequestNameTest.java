package org.phoenixcast.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.phoenixcast.model.Printable;

class RequestNameTest {

    static Stream<Arguments> names() {
        return Stream.of(
                Arguments.of("caston", new RequestName("caston", Optional.empty())),
                Arguments.of("caston.110", new RequestName("caston", Optional.of("110"))),
                Arguments.of("cast.a-b_C9", new RequestName("cast", Optional.of("a-b_C9"))),
                Arguments.of("unknownverb.1", new RequestName("unknownverb", Optional.of("1"))),
                Arguments.of("CASTON", new RequestName("CASTON", Optional.empty())),
                Arguments.of("w".repeat(64) + "." + "t".repeat(64), new RequestName("w".repeat(64), Optional.of("t".repeat(64)))),
                Arguments.of("", null),
                Arguments.of(".caston", null),
                Arguments.of("caston.", null),
                Arguments.of("caston..1", null),
                Arguments.of("caston.1.2", null),
                Arguments.of("caston/1", null),
                Arguments.of("../caston", null),
                Arguments.of("caston 1", null),
                Arguments.of("caston.1\n", null),
                Arguments.of("caston\0", null),
                Arguments.of("cast\u00e9", null),
                Arguments.of("w".repeat(65), null),
                Arguments.of("caston." + "t".repeat(65), null));
    }

    @ParameterizedTest
    @MethodSource("names")
    void parsesVerbOrVerbDotTag(String input, RequestName expected) {
        if (expected != null) {
            RequestName name = RequestName.parse(input);
            assertThat(name).isEqualTo(expected);
            assertThat(name.replyName()).isEqualTo(input);
        } else {
            assertThatThrownBy(() -> RequestName.parse(input))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("invalid request file name " + Printable.quote(input)
                            + ": expected VERB or VERB.TAG (letters, digits, '_', '-')");
        }
    }

    @Test
    void treatsDotFilesAsTemporary() {
        assertThat(RequestName.isTemporary(".caston.tmp")).isTrue();
        assertThat(RequestName.isTemporary(".")).isTrue();
        assertThat(RequestName.isTemporary("caston.tmp")).isFalse();
        assertThat(RequestName.isTemporary("caston")).isFalse();
    }
}
