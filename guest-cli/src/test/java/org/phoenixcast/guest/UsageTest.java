package org.phoenixcast.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Help on every verb, and the one script refusing to run under a name that is not a verb. */
class UsageTest {

  @TempDir Path dir;

  static Stream<Arguments> helpRequestsUnderEveryShell() {
    return EveryShell.times(
        Guest.VERBS.stream()
            .flatMap(
                verb ->
                    Stream.of(
                        List.of(verb, "-h"), List.of(verb, "--help"), List.of(verb, "/srv", "-h"))));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("helpRequestsUnderEveryShell")
  void printsItsOwnUsageOnStdoutAndSendsNothing(Shell shell, List<String> typed) throws Exception {
    Guest guest = new Guest(dir, shell);
    String verb = typed.get(0);
    Guest.Result result;
    try (FakeCastd castd = guest.castd("ok\nshould not be asked\n")) {
      result = guest.run(verb, typed.subList(1, typed.size()));
      assertThat(castd.requests()).isEmpty();
    }

    assertThat(result.exit()).isZero();
    assertThat(result.stderr()).isEmpty();
    assertThat(result.stdout())
        .startsWith("usage: " + verb + " ")
        .contains("Exit: 0 done, 1 refused by castd, 2 usage, 3 castd unreachable")
        .endsWith("\n");
  }

  @ParameterizedTest
  @EnumSource(Shell.class)
  void refusesToRunUnderANameThatIsNotAVerb(Shell shell) throws Exception {
    Guest guest = new Guest(dir, shell);

    Guest.Result result = guest.run("phoenix-cast", List.of());

    assertThat(result)
        .isEqualTo(
            new Guest.Result(
                2,
                "",
                "phoenix-cast: install me as cast, ucast, caston, castoff, castblock or showcast\n"));
    assertThat(guest.dropListing()).isEmpty();
  }
}
