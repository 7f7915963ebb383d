package org.phoenixcast.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What each argument form puts on the wire, and what is refused before anything is sent. Valid
 * and invalid forms of a verb sit side by side. Only the shape is checked locally; the rows marked
 * "castd's job" pin down that deeper checks are not duplicated here.
 */
class RequestLineTest {

  private static final String WHITESPACE = "paths with whitespace are not supported";
  private static final String COUNT = "wrong number of arguments";

  @TempDir Path dir;

  /** A row: the command typed, and either the request line castd gets or the local refusal. */
  record Case(String verb, List<String> args, String sent, String refusal, boolean withUsage) {

    static Case sends(String line, String verb, String... args) {
      return new Case(verb, List.of(args), line, null, false);
    }

    /** Refused with a one-line reason followed by the usage text. */
    static Case usage(String reason, String verb, String... args) {
      return new Case(verb, List.of(args), null, reason, true);
    }

    /** Refused with a one-line reason and nothing else. */
    static Case refuses(String reason, String verb, String... args) {
      return new Case(verb, List.of(args), null, reason, false);
    }

    @Override
    public String toString() {
      String typed = (verb + " " + String.join(" ", args)).trim();
      String outcome = sent != null ? "sends \"" + sent + "\"" : "refuses: " + refusal;
      return (typed + " -> " + outcome).replace("\n", "\\n").replace("\t", "\\t");
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        Case.sends("/srv/data web2", "cast", "/srv/data/", "web2"),
        Case.sends("/srv/data", "cast", "/srv/data"),
        Case.sends("/srv/data web2:/mnt/data", "cast", "/srv/data", "web2:/mnt/data/"),
        Case.sends("--ro /srv/data web2", "cast", "--ro", "/srv/data", "web2"),
        Case.sends("--ro /srv", "cast", "--ro", "/srv/"),
        Case.sends("/ web2:/", "cast", "/", "web2:/"),
        Case.sends("/srv/ web2", "cast", "/srv//", "web2"),
        Case.sends("/srv/../etc Bad!Name:/a/./b", "cast", "/srv/../etc", "Bad!Name:/a/./b"),
        Case.usage(COUNT, "cast"),
        Case.usage(COUNT, "cast", "--ro"),
        Case.usage(COUNT, "cast", "/srv", "web2", "web3"),
        Case.usage("unknown option: -r", "cast", "-r", "/srv"),
        Case.usage("unknown option: --ro", "cast", "/srv", "--ro"),
        Case.usage("unknown option: --ro", "cast", "--ro", "--ro", "/srv"),
        Case.usage("empty argument", "cast", "/srv", ""),
        Case.refuses("paths must start with '/', not 'srv/data'", "cast", "srv/data", "web2"),
        Case.refuses("paths must start with '/', not 'mnt'", "cast", "/srv", "web2:mnt"),
        Case.refuses("paths must start with '/', not ''", "cast", "/srv", "web2:"),
        Case.sends("/srv docker:web2", "cast", "/srv", "docker:web2"),
        Case.sends("/srv lxc:web2:/mnt", "cast", "/srv", "lxc:web2:/mnt/"),
        Case.refuses("paths must start with '/', not 'mnt'", "cast", "/srv", "lxc:web2:mnt"),
        Case.refuses(WHITESPACE, "cast", "/srv/my data"),
        Case.refuses(WHITESPACE, "cast", "/srv", "web\n2"),
        Case.refuses(WHITESPACE, "cast", "/srv\tx", "web2"),
        Case.refuses(WHITESPACE, "cast", "/srv/data\n"),
        Case.sends("/srv/data", "ucast", "/srv/data/"),
        Case.sends("/srv/data web2", "ucast", "/srv/data", "web2"),
        Case.usage(COUNT, "ucast"),
        Case.usage(COUNT, "ucast", "/srv", "web2", "web3"),
        Case.usage("unknown option: --ro", "ucast", "--ro", "/srv"),
        Case.refuses("paths must start with '/', not 'srv'", "ucast", "srv", "web2"),
        Case.sends("", "caston"),
        Case.sends("host:/usr/portage", "caston", "host:/usr/portage/"),
        Case.sends("104:/var/tmp", "caston", "104:/var/tmp"),
        Case.sends("lxc:web:/var/tmp", "caston", "lxc:web:/var/tmp/"),
        Case.sends("104:/srv/a:b", "caston", "104:/srv/a:b"),
        Case.usage("/var/tmp: expected SRC:PATH", "caston", "/var/tmp"),
        Case.usage("web2: expected SRC:PATH", "caston", "web2"),
        Case.usage(COUNT, "caston", "a:/x", "b:/y"),
        Case.usage("unknown option: -a", "caston", "-a"),
        Case.refuses("paths must start with '/', not 'var/tmp'", "caston", "104:var/tmp"),
        Case.refuses(WHITESPACE, "caston", "host:/usr/my portage"),
        Case.sends("", "castoff"),
        Case.sends("/var/tmp", "castoff", "/var/tmp/"),
        Case.sends("104:/var/tmp", "castoff", "104:/var/tmp/"),
        Case.sends("/srv/a:b", "castoff", "/srv/a:b"),
        Case.usage(COUNT, "castoff", "/a", "/b"),
        Case.usage("unknown option: -u", "castoff", "-u"),
        Case.refuses("paths must start with '/', not 'var/tmp'", "castoff", "var/tmp"),
        Case.refuses("paths must start with '/', not 'tmp'", "castoff", "104:tmp"),
        Case.sends("", "castblock"),
        Case.sends("/var/tmp", "castblock", "/var/tmp/"),
        Case.sends("/", "castblock", "/"),
        Case.sends("-u", "castblock", "-u"),
        Case.sends("-u /var/tmp", "castblock", "-u", "/var/tmp/"),
        Case.usage(COUNT, "castblock", "/a", "/b"),
        Case.usage(COUNT, "castblock", "-u", "/a", "/b"),
        Case.usage("unknown option: -u", "castblock", "-u", "-u"),
        Case.usage("unknown option: -u", "castblock", "/var/tmp", "-u"),
        Case.usage("unknown option: -a", "castblock", "-a"),
        Case.refuses("paths must start with '/', not 'var/tmp'", "castblock", "var/tmp"),
        Case.sends("", "showcast"),
        Case.sends("-a", "showcast", "-a"),
        Case.usage("unknown option: -a", "showcast", "-a", "-a"),
        Case.usage("unknown option: -l", "showcast", "-l"),
        Case.usage(COUNT, "showcast", "/srv"));
  }

  static Stream<Arguments> casesUnderEveryShell() {
    return EveryShell.times(cases());
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("casesUnderEveryShell")
  void sendsTheCheckedArgumentsAsOneLineOrRefusesBeforeSending(Shell shell, Case c)
      throws Exception {
    Guest guest = new Guest(dir, shell);
    Guest.Result result;
    List<FakeCastd.Request> requests;
    try (FakeCastd castd = guest.castd("ok\n")) {
      result = guest.run(c.verb(), c.args());
      requests = castd.requests();
    }

    if (c.sent() != null) {
      assertThat(result).isEqualTo(new Guest.Result(0, "", ""));
      assertThat(requests)
          .singleElement()
          .satisfies(
              request -> {
                assertThat(request.verb()).isEqualTo(c.verb());
                assertThat(request.content()).isEqualTo(c.sent() + "\n");
              });
    } else {
      assertThat(result.exit()).isEqualTo(2);
      assertThat(result.stdout()).isEmpty();
      String reason = c.verb() + ": " + c.refusal() + "\n";
      if (c.withUsage()) {
        assertThat(result.stderr()).startsWith(reason + "usage: " + c.verb() + " ");
      } else {
        assertThat(result.stderr()).isEqualTo(reason);
      }
      assertThat(requests).isEmpty();
    }
    assertThat(guest.dropListing()).as("drop directory after the run").isEmpty();
  }
}
