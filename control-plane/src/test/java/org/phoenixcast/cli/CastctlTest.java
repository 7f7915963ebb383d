package org.phoenixcast.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** castctl's own side: help and usage errors need no castd; a missing castd is exit 3 with one line. */
class CastctlTest {
    @TempDir
    Path stateDir;

    record Run(int exit, String out, String err) {}

    private Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int exit = Castctl.run(args);
            return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    static Stream<Arguments> usageErrors() {
        return Stream.of(
                Arguments.of(new String[] {"frobnicate"}, "Unmatched argument"),
                Arguments.of(new String[] {"container", "add", "web1"}, "Missing required argument"),
                Arguments.of(new String[] {"container", "add", "web1", "--pid", "1", "--pidfile", "/run/x"}, "mutually exclusive"),
                Arguments.of(new String[] {"container", "add", "web1", "--pid", "abc"}, "'abc' is not an int"),
                Arguments.of(new String[] {"publish"}, "Missing required parameter"),
                Arguments.of(new String[] {"history", "--limit", "many"}, "'many' is not an int"),
                Arguments.of(new String[] {"container", "disable", "web1"}, "Missing required parameter"));
    }

    @ParameterizedTest
    @MethodSource("usageErrors")
    void rejectsBadCommandLinesWithExitTwoAndNoDaemon(String[] args, String message) {
        Run r = run(args);
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains(message).contains("Usage:");
        assertThat(r.out()).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("helpRequests")
    void printsHelpWithoutADaemon(String[] args, String expected) {
        Run r = run(args);
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains(expected);
    }

    static Stream<Arguments> helpRequests() {
        return Stream.of(
                Arguments.of(new String[] {"--help"}, "Administer a running castd"),
                Arguments.of(new String[] {"container", "add", "--help"}, "--pidfile"),
                Arguments.of(new String[] {"publish", "--help"}, "--ro"),
                Arguments.of(new String[] {"sandbox", "exec", "--help"}, "CMD"));
    }

    @ParameterizedTest
    @MethodSource("forwardedCommands")
    void saysCastdIsNotRunningWithExitThree(String[] command) {
        String[] args = Stream.concat(Stream.of("--state-dir", stateDir.toString()), Stream.of(command)).toArray(String[]::new);
        Run r = run(args);
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.err().strip()).startsWith("castctl: castd is not running").contains(stateDir.resolve("castd.sock").toString());
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    static Stream<Arguments> forwardedCommands() {
        return Stream.of(
                Arguments.of((Object) new String[] {"status"}),
                Arguments.of((Object) new String[] {"container", "list", "--json"}),
                Arguments.of((Object) new String[] {"publish", "/srv", "--ro"}),
                Arguments.of((Object) new String[] {"export"}));
    }
}
