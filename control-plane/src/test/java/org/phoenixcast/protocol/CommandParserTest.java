package org.phoenixcast.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.phoenixcast.model.Verb.CAST;
import static org.phoenixcast.model.Verb.CASTBLOCK;
import static org.phoenixcast.model.Verb.CASTOFF;
import static org.phoenixcast.model.Verb.CASTON;
import static org.phoenixcast.model.Verb.SHOWCAST;
import static org.phoenixcast.model.Verb.UCAST;

import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.SourceRef;
import org.phoenixcast.model.Verb;

class CommandParserTest {

    private static GuestPath p(String path) {
        return GuestPath.parse(path);
    }

    private static Optional<ContainerName> ct(String name) {
        return Optional.of(ContainerName.parse(name));
    }

    private static Optional<SourceRef> src(String ref) {
        return Optional.of(SourceRef.parse(ref));
    }

    private static Arguments ok(Verb verb, String line, Command expected) {
        return Arguments.of(verb, line, expected, null);
    }

    private static Arguments refused(Verb verb, String line, String message) {
        return Arguments.of(verb, line, null, message);
    }

    static Stream<Arguments> lines() {
        return Stream.of(
                // cast [--ro] DIR [CT[:TARGET]]
                ok(CAST, "/srv", new Command.Cast(p("/srv"), Optional.empty(), Optional.empty(), Access.READ_WRITE)),
                ok(CAST, "--ro /srv", new Command.Cast(p("/srv"), Optional.empty(), Optional.empty(), Access.READ_ONLY)),
                ok(CAST, "/srv web2", new Command.Cast(p("/srv"), ct("web2"), Optional.empty(), Access.READ_WRITE)),
                ok(CAST, "--ro /srv web2", new Command.Cast(p("/srv"), ct("web2"), Optional.empty(), Access.READ_ONLY)),
                ok(CAST, "/srv web2:/mnt/srv", new Command.Cast(p("/srv"), ct("web2"), Optional.of(p("/mnt/srv")), Access.READ_WRITE)),
                ok(CAST, "--ro /srv web2:/mnt/srv", new Command.Cast(p("/srv"), ct("web2"), Optional.of(p("/mnt/srv")), Access.READ_ONLY)),
                ok(CAST, " \t/srv \t 105:/_external/var/tmp\t ", new Command.Cast(p("/srv"), ct("105"), Optional.of(p("/_external/var/tmp")), Access.READ_WRITE)),
                refused(CAST, "", "missing argument; usage: cast [--ro] DIR [CT[:TARGET]]"),
                refused(CAST, "--ro", "missing argument; usage: cast [--ro] DIR [CT[:TARGET]]"),
                refused(CAST, "/srv web2 web3", "unexpected argument 'web3'; usage: cast [--ro] DIR [CT[:TARGET]]"),
                refused(CAST, "/srv --ro", "unknown option '--ro'"),
                refused(CAST, "/srv web2 --ro", "unknown option '--ro'"),
                refused(CAST, "--ro --ro /srv", "unknown option '--ro'"),
                refused(CAST, "--rw /srv", "unknown option '--rw'"),
                refused(CAST, "-r /srv", "unknown option '-r'"),
                refused(CAST, "srv web2", "invalid path 'srv': not absolute"),
                refused(CAST, "/srv/../etc web2", "invalid path '/srv/../etc': contains '..'"),
                refused(CAST, "/srv/ web2", "invalid path '/srv/': ends with '/'"),
                refused(CAST, "/srv host", "invalid container name 'host': reserved for the host"),
                refused(CAST, "/srv host:/srv", "invalid container name 'host': reserved for the host"),
                refused(CAST, "/srv :/srv", "invalid container name ''"),
                refused(CAST, "/srv web2:", "invalid path '': empty"),
                ok(CAST, "/srv docker:web2", new Command.Cast(p("/srv"), ct("docker:web2"), Optional.empty(), Access.READ_WRITE)),
                ok(CAST, "/srv lxc:web2:/mnt", new Command.Cast(p("/srv"), ct("lxc:web2"), Optional.of(p("/mnt")), Access.READ_WRITE)),
                refused(CAST, "/srv lxc:web2:mnt", "invalid path 'mnt': not absolute"),
                refused(CAST, "/srv web2:mnt", "invalid path 'mnt': not absolute"),
                refused(CAST, "/srv web2:/mnt//x", "invalid path '/mnt//x': contains '//'"),
                ok(CAST, "/srv web2:/mnt:/x", new Command.Cast(p("/srv"), ct("web2"), Optional.of(p("/mnt:/x")), Access.READ_WRITE)),
                refused(CAST, "/srv bad/name", "invalid container name 'bad/name'"),
                // ucast DIR [CT]
                ok(UCAST, "/srv", new Command.Ucast(p("/srv"), Optional.empty())),
                ok(UCAST, "/srv web2", new Command.Ucast(p("/srv"), ct("web2"))),
                refused(UCAST, "", "missing argument; usage: ucast DIR [CT]"),
                refused(UCAST, "/srv web2 web3", "unexpected argument 'web3'; usage: ucast DIR [CT]"),
                refused(UCAST, "--ro /srv", "unknown option '--ro'"),
                refused(UCAST, "-a", "unknown option '-a'"),
                refused(UCAST, "/srv host", "invalid container name 'host': reserved for the host"),
                refused(UCAST, "/srv web2:/x", "invalid container name 'web2:/x'"),
                refused(UCAST, "srv", "invalid path 'srv': not absolute"),
                // caston [SRC:PATH]
                ok(CASTON, "", new Command.Caston(Optional.empty())),
                ok(CASTON, "  \t ", new Command.Caston(Optional.empty())),
                ok(CASTON, "104:/var/tmp", new Command.Caston(src("104:/var/tmp"))),
                ok(CASTON, "host:/usr/portage", new Command.Caston(src("host:/usr/portage"))),
                refused(CASTON, "104:/var/tmp 105:/x", "unexpected argument '105:/x'; usage: caston [SRC:PATH]"),
                refused(CASTON, "-a", "unknown option '-a'"),
                refused(CASTON, "-u 104:/var/tmp", "unknown option '-u'"),
                refused(CASTON, "/var/tmp", "invalid source '/var/tmp': expected OWNER:/PATH"),
                refused(CASTON, "104", "invalid source '104': expected OWNER:/PATH"),
                refused(CASTON, "104:/var/tmp/..", "invalid path '/var/tmp/..': contains '..'"),
                refused(CASTON, "10 4:/x", "unexpected argument '4:/x'"),
                // castoff [PATH | SRC:PATH]
                ok(CASTOFF, "", new Command.Castoff(new Command.Selector.Everything())),
                ok(CASTOFF, "/var/tmp", new Command.Castoff(new Command.Selector.ByTarget(p("/var/tmp")))),
                ok(CASTOFF, "104:/var/tmp", new Command.Castoff(new Command.Selector.BySource(SourceRef.parse("104:/var/tmp")))),
                ok(CASTOFF, "host:/usr/portage", new Command.Castoff(new Command.Selector.BySource(SourceRef.parse("host:/usr/portage")))),
                refused(CASTOFF, "/a /b", "unexpected argument '/b'; usage: castoff [PATH | SRC:PATH]"),
                refused(CASTOFF, "-a", "unknown option '-a'"),
                refused(CASTOFF, "var/tmp", "invalid source 'var/tmp': expected OWNER:/PATH"),
                refused(CASTOFF, "/var/tmp/", "invalid path '/var/tmp/': ends with '/'"),
                refused(CASTOFF, "104:var", "invalid path 'var': not absolute"),
                // castblock [-u] [PATH]
                ok(CASTBLOCK, "", new Command.Castblock(false, Optional.empty())),
                ok(CASTBLOCK, "/var/tmp", new Command.Castblock(false, Optional.of(p("/var/tmp")))),
                ok(CASTBLOCK, "-u", new Command.Castblock(true, Optional.empty())),
                ok(CASTBLOCK, "-u /var/tmp", new Command.Castblock(true, Optional.of(p("/var/tmp")))),
                refused(CASTBLOCK, "/var/tmp -u", "unknown option '-u'"),
                refused(CASTBLOCK, "-u -u", "unknown option '-u'"),
                refused(CASTBLOCK, "-a", "unknown option '-a'"),
                refused(CASTBLOCK, "/a /b", "unexpected argument '/b'; usage: castblock [-u] [PATH]"),
                refused(CASTBLOCK, "-u /a /b", "unexpected argument '/b'; usage: castblock [-u] [PATH]"),
                refused(CASTBLOCK, "var/tmp", "invalid path 'var/tmp': not absolute"),
                refused(CASTBLOCK, "104:/var/tmp", "invalid path '104:/var/tmp': not absolute"),
                // showcast [-a]
                ok(SHOWCAST, "", new Command.Showcast(false)),
                ok(SHOWCAST, "-a", new Command.Showcast(true)),
                ok(SHOWCAST, "\t-a ", new Command.Showcast(true)),
                refused(SHOWCAST, "x", "unexpected argument 'x'; usage: showcast [-a]"),
                refused(SHOWCAST, "-u", "unknown option '-u'"),
                refused(SHOWCAST, "--all", "unknown option '--all'"),
                refused(SHOWCAST, "-a -a", "'-a'"),
                refused(SHOWCAST, "-a x", "unexpected argument 'x'; usage: showcast [-a]"));
    }

    @ParameterizedTest(name = "{0} \"{1}\"")
    @MethodSource("lines")
    void parsesEveryVerbAndArgumentForm(Verb verb, String line, Command expected, String refusal) {
        if (refusal == null) {
            Command command = CommandParser.parse(verb, line);
            assertThat(command).isEqualTo(expected);
            assertThat(command.verb()).isEqualTo(verb);
        } else {
            assertThatThrownBy(() -> CommandParser.parse(verb, line))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(refusal);
        }
    }

    @Test
    void refusesALineLongerThanTheCapBeforeSplittingIt() {
        String line = "/" + "a".repeat(CommandParser.MAX_LINE_CHARS);
        assertThatThrownBy(() -> CommandParser.parse(CAST, line))
                .hasMessage("request line longer than 8192 characters");
        assertThatThrownBy(() -> CommandParser.parse(CASTOFF, "/a".repeat(5000)))
                .hasMessage("request line longer than 8192 characters");
    }

    @Test
    void refusesAnArgumentSplitByControlCharactersOtherThanSpaceAndTab() {
        assertThatThrownBy(() -> CommandParser.parse(CASTON, "104:/a\u000b105:/b"))
                .hasMessageContaining("contains a control character");
        assertThatThrownBy(() -> CommandParser.parse(CASTOFF, "/a\r"))
                .hasMessageContaining("contains a control character");
    }
}
