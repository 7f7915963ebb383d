package org.phoenixcast.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ProcStartTimeTest {
    private static final String TAIL = " 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 2166784 256 "
            + "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";

    static Stream<Arguments> stats() {
        return Stream.of(
                Arguments.of("4242 (sh) S" + TAIL, OptionalLong.of(123456)),
                Arguments.of("4242 (evil) S 1 2 3 4 5 6 7 8 9 10) S" + TAIL, OptionalLong.of(123456)),
                Arguments.of("4242 (a b) R" + TAIL, OptionalLong.of(123456)),
                Arguments.of("4242 (sh) Z" + TAIL, OptionalLong.empty()),
                Arguments.of("4242 (sh) X" + TAIL, OptionalLong.empty()),
                Arguments.of("4242 (sh) S 1 1", OptionalLong.empty()),
                Arguments.of("4242 sh S" + TAIL, OptionalLong.empty()),
                Arguments.of("", OptionalLong.empty()),
                Arguments.of("4242 (sh)", OptionalLong.empty()));
    }

    @ParameterizedTest
    @MethodSource("stats")
    void readsStarttimeAfterTheLastParenthesisAndRefusesZombies(String stat, OptionalLong expected) {
        assertThat(ProcStartTime.parse(stat)).isEqualTo(expected);
    }

    @Test
    void readsThisProcess() {
        assertThat(ProcStartTime.of((int) ProcessHandle.current().pid())).isPresent();
        assertThat(ProcStartTime.of(0)).isEmpty();
        assertThat(ProcStartTime.of(Integer.MAX_VALUE)).isEmpty();
    }
}
