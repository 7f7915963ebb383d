package org.phoenixcast.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** read(write(c)) equals c, and writing is stable. */
class RoundTripTest {

    static Stream<Arguments> configs() throws IOException {
        return Stream.of(
                arguments("empty", CastsConfig.empty()),
                arguments("only empty sections", new CastsConfig(List.of(), List.of(), List.of(), List.of(),
                        Set.of("106", "web-1", "a.b_c"))),
                arguments("the note's example", NoteExampleTest.readNote()),
                arguments("read-only offers, to several receivers and targets", new CastsConfig(List.of(
                        new Offer("104", "/srv/data", "103", "/mnt/data", true),
                        new Offer("104", "/srv/data", "105", "/srv/data", false),
                        new Offer("104", "/", "106", "/mnt/root-of-104", true),
                        new Offer("103", "/srv/data", "104", "/srv/data", true),
                        new Offer("host", "/opt/tools", "103", "/opt/tools", true),
                        new Offer("host", "/srv/scratch", "103", "/srv/scratch", false)),
                        List.of(), List.of(), List.of(), Set.of())),
                arguments("multiple blocks and acceptances", new CastsConfig(List.of(),
                        List.of(new Acceptance("103", "104", "/var/tmp"), new Acceptance("103", "host", "/usr/portage"),
                                new Acceptance("105", "103", "/a b/with spaces")),
                        List.of(new Block("103", "/srv"), new Block("103", "/home/user"), Block.all("105")),
                        List.of(), Set.of())),
                arguments("disabled verbs", new CastsConfig(List.of(), List.of(), List.of(),
                        List.of(new DisabledVerb("103", "ucast"), new DisabledVerb("103", "cast"),
                                new DisabledVerb("104", "caston"), new DisabledVerb("104", "castoff"),
                                new DisabledVerb("104", "castblock"), new DisabledVerb("104", "showcast")),
                        Set.of("107"))),
                arguments("publications by the host and containers", new CastsConfig(List.of(
                        Offer.published("host", "/usr/portage", true), Offer.published("zeta", "/pub", false),
                        Offer.published("104", "/tmp/portage", false), Offer.published("104", "/etc/skel", true)),
                        List.of(), List.of(), List.of(), Set.of())),
                arguments("unusual but valid path characters", new CastsConfig(List.of(
                        new Offer("104", "/srv/#not a comment;", "103", "/mnt/é ü/(x) y", false),
                        new Offer("104", "/srv/back\\slash", "103", "/srv/back\\slash", true)),
                        List.of(new Acceptance("103", "104", "/srv/#not a comment;")), List.of(), List.of(),
                        Set.of())));
    }

    static CastsConfig roundTrip(CastsConfig config) throws IOException {
        StringWriter out = new StringWriter();
        CastsIni.write(config, out);
        return CastsIni.read(new StringReader(out.toString()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void readsBackWhatItWrote(String description, CastsConfig config) throws IOException {
        assertThat(roundTrip(config)).isEqualTo(config);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void writesTheSameTextTwice(String description, CastsConfig config) throws IOException {
        StringWriter first = new StringWriter();
        CastsIni.write(config, first);
        StringWriter second = new StringWriter();
        CastsIni.write(CastsIni.read(new StringReader(first.toString())), second);
        assertThat(second.toString()).isEqualTo(first.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void roundTripsThroughAFile(String description, CastsConfig config, @TempDir Path folder) throws IOException {
        Path file = folder.resolve("casts.ini");
        CastsIni.write(config, file);
        assertThat(CastsIni.read(file)).isEqualTo(config);
    }

    @Test
    void replacingAFileKeepsItsPermissionsAndLeavesNoTemporaryFile(@TempDir Path folder) throws IOException {
        Path file = folder.resolve("casts.ini");
        Files.writeString(file, "[old]\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));

        CastsIni.write(NoteExampleTest.NOTE_STATE, file);

        assertThat(CastsIni.read(file)).isEqualTo(NoteExampleTest.NOTE_STATE);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-r-----"));
        try (Stream<Path> files = Files.list(folder)) {
            assertThat(files).containsExactly(file);
        }
    }
}
