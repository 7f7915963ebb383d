package org.phoenixcast.guest;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** How castd's reply becomes exit code, stdout and stderr; and how requests are named. */
class ReplyTest {

  private static final String MALFORMED = "caston: malformed reply from castd\n";
  private static final String TAG_NAME = "[A-Za-z0-9_-]+";

  @TempDir Path dir;

  /** A row: what castd writes, and what the user of {@code caston} then sees. */
  record Reply(String content, int exit, String stdout, String stderr) {
    @Override
    public String toString() {
      return ("\"" + content + "\" -> exit " + exit).replace("\n", "\\n");
    }
  }

  static Stream<Reply> replies() {
    return Stream.of(
        new Reply("ok\n", 0, "", ""),
        new Reply("ok", 0, "", ""),
        new Reply("ok\nmounted host:/usr/portage\n", 0, "mounted host:/usr/portage\n", ""),
        new Reply("error: /var/tmp is blocked\n", 1, "", "caston: /var/tmp is blocked\n"),
        new Reply("error: no offer from web2", 1, "", "caston: no offer from web2\n"),
        new Reply("error: refused\nsecond line\n", 1, "", "caston: refused\n"),
        new Reply("", 3, "", MALFORMED),
        new Reply("\n", 3, "", MALFORMED),
        new Reply("\nok\n", 3, "", MALFORMED),
        new Reply("OK\n", 3, "", MALFORMED),
        new Reply("okay\n", 3, "", MALFORMED),
        new Reply(" ok\n", 3, "", MALFORMED),
        new Reply("ok \n", 3, "", MALFORMED),
        new Reply("error:\n", 3, "", MALFORMED),
        new Reply("error: \n", 3, "", MALFORMED),
        new Reply("error:x\n", 3, "", MALFORMED),
        new Reply("Error: x\n", 3, "", MALFORMED));
  }

  static Stream<Arguments> repliesUnderEveryShell() {
    return EveryShell.times(replies());
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("repliesUnderEveryShell")
  void mapsTheReplyToExitCodeAndOutput(Shell shell, Reply reply) throws Exception {
    Guest guest = new Guest(dir, shell);
    try (FakeCastd castd = guest.castd(reply.content())) {
      Guest.Result result = guest.run("caston", List.of());
      assertThat(result).isEqualTo(new Guest.Result(reply.exit(), reply.stdout(), reply.stderr()));
    }
  }

  static Stream<List<String>> showcastArguments() {
    return Stream.of(List.of(), List.of("-a"));
  }

  static Stream<Arguments> showcastUnderEveryShell() {
    return EveryShell.times(showcastArguments());
  }

  @ParameterizedTest(name = "{0}: showcast {1}")
  @MethodSource("showcastUnderEveryShell")
  void showcastPassesCastdOutputThroughVerbatim(Shell shell, List<String> args) throws Exception {
    // Lines that a careless echo, printf or read loop would mangle.
    String output =
        "host:/usr/portage /usr/portage ro\n"
            + "web1:/srv/data /srv/data rw\n"
            + "offered 104:/var/tmp /var/tmp rw\n"
            + "  indented\\t back\\slash %s %d -n -e * ?\n"
            + "\n"
            + "last line without newline";
    Guest guest = new Guest(dir, shell);
    try (FakeCastd castd = guest.castd("ok\n" + output)) {
      assertThat(guest.run("showcast", args)).isEqualTo(new Guest.Result(0, output, ""));
    }
  }

  @ParameterizedTest
  @EnumSource(Shell.class)
  void namesEachRequestVerbDotUniqueTagAndReadsOnlyItsOwnReply(Shell shell) throws Exception {
    Guest guest = new Guest(dir, shell);
    try (FakeCastd castd =
        FakeCastd.start(guest.drop(), guest.replies(), r -> "ok\n" + r.tag() + "\n")) {
      List<Guest.Running> running = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        running.add(guest.start(Map.of(), "showcast", List.of()));
      }
      List<String> printedTags = new ArrayList<>();
      for (Guest.Running run : running) {
        Guest.Result result = run.await();
        assertThat(result.exit()).as(result.stderr()).isZero();
        printedTags.add(result.stdout().strip());
      }

      List<FakeCastd.Request> requests = castd.requests();
      assertThat(requests).hasSize(4);
      assertThat(requests)
          .allSatisfy(
              r -> {
                assertThat(r.fileName()).matches("showcast\\." + TAG_NAME);
                assertThat(r.verb()).isEqualTo("showcast");
              });
      List<String> tags = requests.stream().map(FakeCastd.Request::tag).toList();
      assertThat(tags).doesNotHaveDuplicates();
      assertThat(printedTags).containsExactlyInAnyOrderElementsOf(tags);
    }
    assertThat(guest.dropListing()).isEmpty();
  }

  /** Plays castd by hand, to see the drop directory exactly as castd would find it. */
  @ParameterizedTest
  @EnumSource(Shell.class)
  void publishesTheRequestByRenameLeavingNoTempFile(Shell shell) throws Exception {
    Guest guest = new Guest(dir, shell);
    Guest.Running run = guest.start(Map.of(), "castblock", List.of("-u", "/var/tmp/"));

    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> guest.dropListing().stream().anyMatch(name -> !name.startsWith(".")));
    List<String> listing = guest.dropListing();
    assertThat(listing).singleElement().asString().matches("castblock\\." + TAG_NAME);
    Path request = guest.drop().resolve(listing.get(0));
    assertThat(Files.readString(request, UTF_8)).isEqualTo("-u /var/tmp\n");

    Files.delete(request);
    Path tmp = guest.replies().resolve(".reply.tmp");
    Files.writeString(tmp, "ok\nunblocked /var/tmp\n", UTF_8);
    Files.move(tmp, guest.replies().resolve(listing.get(0)), StandardCopyOption.ATOMIC_MOVE);

    assertThat(run.await()).isEqualTo(new Guest.Result(0, "unblocked /var/tmp\n", ""));
    assertThat(guest.dropListing()).isEmpty();
  }
}
