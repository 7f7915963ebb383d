package org.phoenixcast.guest;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** When castd is absent, silent or misconfigured: exit 3 (or 2 for a bad setting), one line. */
class UnreachableTest {

  private static final Map<String, String> ONE_SECOND = Map.of("CAST_TIMEOUT", "1");

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(Shell.class)
  void timesOutAndTakesBackTheRequestWhenNobodyAnswers(Shell shell) throws Exception {
    Guest guest = new Guest(dir, shell);
    long started = System.nanoTime();

    Guest.Result result = guest.run(ONE_SECOND, "cast", List.of("/srv/data", "web2"));

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    assertThat(result)
        .isEqualTo(
            new Guest.Result(3, "", "cast: no reply from castd within 1 s (is castd running?)\n"));
    assertThat(guest.dropListing()).as("request taken back, no temp file").isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Shell.class)
  void timesOutWhenCastdTakesTheRequestButNeverAnswers(Shell shell) throws Exception {
    Guest guest = new Guest(dir, shell);
    try (FakeCastd castd = FakeCastd.start(guest.drop(), guest.replies(), request -> null)) {
      Guest.Result result = guest.run(ONE_SECOND, "caston", List.of());

      assertThat(result)
          .isEqualTo(
              new Guest.Result(
                  3, "", "caston: no reply from castd within 1 s (is castd running?)\n"));
      assertThat(castd.requests()).singleElement().extracting(FakeCastd.Request::content).isEqualTo("\n");
    }
    assertThat(guest.dropListing()).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Shell.class)
  void saysCastdIsNotServingWhenTheDropDirectoryIsMissing(Shell shell) throws Exception {
    Guest guest = new Guest(dir, shell);
    Path missing = dir.resolve("no-such-dir");

    Guest.Result result =
        guest.run(Map.of("CAST_DROP_DIR", missing.toString()), "showcast", List.of());

    assertThat(result)
        .isEqualTo(
            new Guest.Result(
                3, "", "showcast: castd is not serving this container (no " + missing + ")\n"));
  }

  @ParameterizedTest
  @EnumSource(Shell.class)
  void saysCastdIsNotServingWhenTheDropPathIsNotADirectory(Shell shell) throws Exception {
    Guest guest = new Guest(dir, shell);
    Path file = Files.writeString(dir.resolve("a-file"), "", UTF_8);

    Guest.Result result = guest.run(Map.of("CAST_DROP_DIR", file.toString()), "caston", List.of());

    assertThat(result)
        .isEqualTo(
            new Guest.Result(
                3, "", "caston: castd is not serving this container (no " + file + ")\n"));
    assertThat(Files.readString(file, UTF_8)).isEmpty();
  }

  static Stream<Arguments> badTimeoutsUnderEveryShell() {
    return EveryShell.times(Stream.of("0", "010", "1.5", "-1", "ten", "1 "));
  }

  @ParameterizedTest(name = "{0}: CAST_TIMEOUT=''{1}''")
  @MethodSource("badTimeoutsUnderEveryShell")
  void refusesATimeoutThatIsNotAPositiveWholeNumber(Shell shell, String timeout) throws Exception {
    Guest guest = new Guest(dir, shell);

    Guest.Result result = guest.run(Map.of("CAST_TIMEOUT", timeout), "showcast", List.of());

    assertThat(result)
        .isEqualTo(
            new Guest.Result(
                2,
                "",
                "showcast: CAST_TIMEOUT must be a whole number of seconds, not '"
                    + timeout
                    + "'\n"));
    assertThat(guest.dropListing()).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Shell.class)
  void takesBackTheRequestWhenTerminatedWhileWaiting(Shell shell) throws Exception {
    Guest guest = new Guest(dir, shell);
    Guest.Running run = guest.start(Map.of(), "castoff", List.of());
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> guest.dropListing().stream().anyMatch(name -> name.startsWith("castoff.")));

    run.process().destroy(); // SIGTERM

    assertThat(run.await().exit()).isEqualTo(130);
    assertThat(guest.dropListing()).isEmpty();
  }
}
