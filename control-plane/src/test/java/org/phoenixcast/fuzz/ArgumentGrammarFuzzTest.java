package org.phoenixcast.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.Verb;
import org.phoenixcast.protocol.Command;
import org.phoenixcast.protocol.CommandParser;

/**
 * The argument grammar of a request line ({@code cast [--ro] DIR [CT[:TARGET]]}, {@code caston
 * [SRC:PATH]}, {@code castoff [PATH | SRC:PATH]}, …), fuzzed with lines built from the grammar's
 * own pieces (paths, bare and runtime-qualified names, the {@code :} and {@code :/} separators,
 * options), so the fuzzer spends its time on how pieces combine rather than on UTF-8 and file
 * names ({@link RequestFuzzTest} covers those).
 *
 * <p>Properties: a line is either refused with a one-line reason or parsed into canonical values,
 * and a parsed command means exactly one thing: written back in the grammar's own form, it parses
 * to the same command. A line that two readings could split differently (where the receiver's
 * name ends and the target begins) would break the second property.
 */
class ArgumentGrammarFuzzTest {
    private static final String[] PIECES = {
        "/", "/srv", "/srv/data", "data", "..", ".", "//", ":", ":/", "-", "--ro", "-u", "-a", "--", "host", "web",
        "104", "lxc", "docker", "runc", "nspawn", "podman", "openvz", "sandbox", "pid", "bogus", " ", "\t", "a:b",
        "/proc", "/.syscmd", "\u00e9", "\u200b", "\\", "*", "~",
    };

    @BeforeAll
    static void hookNothingUnlessFuzzing() {
        QuietReplay.hookNothingUnlessFuzzing();
    }

    @FuzzTest(maxDuration = "20s")
    void aLineIsRefusedInOneLineOrParsedIntoOneMeaning(FuzzedDataProvider data) {
        Verb verb = data.pickValue(Verb.values());
        String line = line(data);
        Command command;
        try {
            command = CommandParser.parse(verb, line);
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).as("reason for %s %s", verb, line).isNotBlank().doesNotContain("\n")
                    .doesNotContain("\r");
            return;
        }
        CanonicalValues.require(command);
        String written = write(command);
        assertThat(CommandParser.parse(verb, written)).as("%s '%s' written back as '%s'", verb, line, written)
                .isEqualTo(command);
    }

    /**
     * Up to 6 words separated by blanks, each glued from 1 to 4 pieces of the grammar or free text
     * the fuzzer chose: valid lines of every form are a few choices away.
     */
    private static String line(FuzzedDataProvider data) {
        StringBuilder line = new StringBuilder();
        int words = data.consumeInt(0, 6);
        for (int w = 0; w < words && data.remainingBytes() > 0; w++) {
            if (w > 0) line.append(data.consumeBoolean() ? " " : "\t");
            int pieces = data.consumeInt(1, 4);
            for (int i = 0; i < pieces; i++) {
                line.append(data.consumeBoolean() ? data.pickValue(PIECES) : data.consumeString(12));
            }
        }
        return line.toString();
    }

    /** The property holds for a valid line of every form (so the fuzz property is known to bite). */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(delimiter = '|', value = {
        "CAST      | /srv/data",
        "CAST      | --ro /srv/data web",
        "CAST      | --ro /srv/data lxc:web:/mnt/in",
        "CAST      | /srv/data 104:/mnt",
        "UCAST     | /srv/data docker:web",
        "CASTON    | ''",
        "CASTON    | runc:web:/srv/a:b",
        "CASTOFF   | /mnt/in",
        "CASTOFF   | host:/srv",
        "CASTBLOCK | -u /srv",
        "SHOWCAST  | -a",
    })
    void everyFormWrittenBackParsesToItself(Verb verb, String line) {
        Command command = CommandParser.parse(verb, line);
        assertThat(CommandParser.parse(verb, write(command))).isEqualTo(command);
        assertThat(write(command)).isEqualTo(line);
    }

    /** The command in the grammar's own form, as the guest commands write it. */
    static String write(Command command) {
        List<String> args = new ArrayList<>();
        if (command instanceof Command.Cast c) {
            if (c.access() == Access.READ_ONLY) args.add("--ro");
            args.add(c.dir().toString());
            c.receiver().ifPresent(r -> args.add(r + c.target().map(t -> ":" + t).orElse("")));
        } else if (command instanceof Command.Ucast u) {
            args.add(u.dir().toString());
            u.receiver().map(ContainerName::toString).ifPresent(args::add);
        } else if (command instanceof Command.Caston c) {
            c.source().ifPresent(s -> args.add(s.toString()));
        } else if (command instanceof Command.Castoff c) {
            if (c.selector() instanceof Command.Selector.ByTarget t) args.add(t.target().toString());
            if (c.selector() instanceof Command.Selector.BySource s) args.add(s.source().toString());
        } else if (command instanceof Command.Castblock b) {
            if (b.lift()) args.add("-u");
            b.path().ifPresent(p -> args.add(p.toString()));
        } else if (command instanceof Command.Showcast s) {
            if (s.all()) args.add("-a");
        }
        return String.join(" ", args);
    }
}
