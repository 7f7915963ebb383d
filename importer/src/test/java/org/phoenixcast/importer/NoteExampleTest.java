package org.phoenixcast.importer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The design note's casts.ini, byte for byte, and what it must mean. */
class NoteExampleTest {
    static final CastsConfig NOTE_STATE = new CastsConfig(
            List.of(
                    new Offer("104", "/var/tmp", "103", "/var/tmp", false),
                    new Offer("104", "/var/tmp", "105", "/_external/var/tmp", false),
                    new Offer("105", "/etc/1337", "103", "/etc/1337", false),
                    Offer.published("104", "/tmp/portage", false),
                    Offer.published("104", "/etc/skel", false),
                    Offer.published("104", "/home/magicaluser", false),
                    Offer.published("host", "/usr/portage", true),
                    Offer.published("host", "/tmp/portage", true)),
            List.of(new Acceptance("103", "104", "/var/tmp")),
            List.of(Block.all("105")),
            List.of(),
            Set.of("103", "104", "105"));

    static CastsConfig readNote() throws IOException {
        try (Reader in = new InputStreamReader(
                NoteExampleTest.class.getResourceAsStream("note-example.ini"), StandardCharsets.UTF_8)) {
            return CastsIni.read(in);
        }
    }

    @Test
    void importsExactlyTheStateTheNoteDescribes() throws IOException {
        assertThat(readNote()).isEqualTo(NOTE_STATE);
    }

    @Test
    void importsEachOfferAcceptanceAndBlockOfTheNote() throws IOException {
        CastsConfig note = readNote();
        assertThat(note.offers()).containsExactlyInAnyOrder(
                // [104] /var/tmp = 103:/var/tmp,105:/_external/var/tmp
                new Offer("104", "/var/tmp", "103", "/var/tmp", false),
                new Offer("104", "/var/tmp", "105", "/_external/var/tmp", false),
                // [103] _offered = 105:/etc/1337 -- made to 103 by 105, not yet accepted
                new Offer("105", "/etc/1337", "103", "/etc/1337", false),
                // [published] 104 = /tmp/portage, /etc/skel,/home/magicaluser
                new Offer("104", "/tmp/portage", "*", "/tmp/portage", false),
                new Offer("104", "/etc/skel", "*", "/etc/skel", false),
                new Offer("104", "/home/magicaluser", "*", "/home/magicaluser", false),
                // [published] host = /usr/portage(ro),/tmp/portage(ro)
                new Offer("host", "/usr/portage", "*", "/usr/portage", true),
                new Offer("host", "/tmp/portage", "*", "/tmp/portage", true));
        assertThat(note.acceptances()).containsExactly(new Acceptance("103", "104", "/var/tmp"));
        assertThat(note.blocks()).containsExactly(new Block("105", Block.ALL));
        assertThat(note.disabledVerbs()).isEmpty();
        assertThat(note.containers()).containsExactly("103", "104", "105");
        assertThat(note.acceptances()).noneMatch(a -> a.receiver().equals("103") && a.owner().equals("105"));
    }

    @Test
    void etcCastsIniIsTheNotesExample() throws IOException {
        // Surefire runs in the module folder; etc/ is at the top of the reactor.
        assertThat(CastsIni.read(Path.of("..", "etc", "casts.ini"))).isEqualTo(NOTE_STATE);
    }

    @Test
    void writesTheNoteInCanonicalFormAndReadsItBackUnchanged() throws IOException {
        StringWriter out = new StringWriter();
        CastsIni.write(readNote(), out);

        assertThat(CastsIni.read(new StringReader(out.toString()))).isEqualTo(readNote());
        assertThat(out.toString()).endsWith("""
                [103]
                _accepted = 104:/var/tmp
                _blocked = None

                [104]
                _accepted = None
                _blocked = None
                /var/tmp = 103:/var/tmp,105:/_external/var/tmp

                [105]
                _accepted = None
                _blocked = All
                /etc/1337 = 103:/etc/1337

                [published]
                host = /tmp/portage(ro),/usr/portage(ro)
                104 = /etc/skel,/home/magicaluser,/tmp/portage

                """);
        assertThat(out.toString()).startsWith("#");
    }
}
