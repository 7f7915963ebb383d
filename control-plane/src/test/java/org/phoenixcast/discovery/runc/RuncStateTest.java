package org.phoenixcast.discovery.runc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** state.json files recorded from runc 1.1.5 (Debian 12) by `runc --root DIR run -d` / `create`. */
class RuncStateTest {

    static byte[] recorded(String name) {
        try {
            return Files.readAllBytes(Path.of(RuncStateTest.class.getResource(name).toURI()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<Arguments> recordedStates() {
        return Stream.of(
                Arguments.of("state-privileged-running.json", "ct1", new RuncState("ct1", 2314, 1069606)),
                Arguments.of("state-privileged-created.json", "ctc", new RuncState("ctc", 5968, 1146596)),
                Arguments.of("state-user-namespaced-running.json", "ctu", new RuncState("ctu", 5726, 1146101)));
    }

    @ParameterizedTest
    @MethodSource("recordedStates")
    void readsIdInitPidAndStartFromRecordedState(String file, String dir, RuncState expected) {
        assertThat(RuncState.parse(dir, recorded(file))).isEqualTo(expected);
    }

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of("not json", "not JSON"),
                Arguments.of("[]", "not a JSON object"),
                Arguments.of("{}", "no \"id\""),
                Arguments.of("{\"id\":\"other\",\"init_process_pid\":10,\"init_process_start\":5}", "differs from its directory"),
                Arguments.of("{\"id\":\"c\",\"init_process_start\":5}", "init_process_pid"),
                Arguments.of("{\"id\":\"c\",\"init_process_pid\":1,\"init_process_start\":5}", "init_process_pid"),
                Arguments.of("{\"id\":\"c\",\"init_process_pid\":\"10\",\"init_process_start\":5}", "init_process_pid"),
                Arguments.of("{\"id\":\"c\",\"init_process_pid\":99999999999,\"init_process_start\":5}", "init_process_pid"),
                Arguments.of("{\"id\":\"c\",\"init_process_pid\":10}", "init_process_start"),
                Arguments.of("{\"id\":\"c\",\"init_process_pid\":10,\"init_process_start\":-1}", "init_process_start"),
                Arguments.of("{\"id\":\"c\",\"init_process_pid\":10,\"init_process_start\":\"12x\"}", "init_process_start"),
                Arguments.of("{\"id\":\"c\",\"init_process_pid\":10,\"init_process_start\":1.5}", "init_process_start"));
    }

    @ParameterizedTest
    @MethodSource("refused")
    void refusesAnOddStateWithTheReason(String json, String reason) {
        assertThatThrownBy(() -> RuncState.parse("c", json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(reason);
    }

    @ParameterizedTest
    @MethodSource("accepted")
    void acceptsTheStartTimeAsANumberOrAsOlderRuncsString(String json, long start) {
        assertThat(RuncState.parse("c", json.getBytes(StandardCharsets.UTF_8)).initStart()).isEqualTo(start);
    }

    static Stream<Arguments> accepted() {
        return Stream.of(
                Arguments.of("{\"id\":\"c\",\"init_process_pid\":10,\"init_process_start\":123}", 123L),
                Arguments.of("{\"id\":\"c\",\"init_process_pid\":10,\"init_process_start\":\"123\"}", 123L));
    }
}
