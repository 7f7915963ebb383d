package org.phoenixcast.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.phoenixcast.importer.CastsConfig;
import org.phoenixcast.importer.CastsIni;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.Acceptance;
import org.phoenixcast.model.Block;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.DisabledVerb;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.Owner;
import org.phoenixcast.model.Share;
import org.phoenixcast.model.SharingState;
import org.phoenixcast.model.SourceRef;
import org.phoenixcast.model.Verb;
import org.phoenixcast.policy.DesiredMounts;
import org.phoenixcast.policy.ForbiddenPaths;
import org.phoenixcast.store.Database;
import org.phoenixcast.store.SharingStore;

class CastsIniMappingTest {
    private static final SharingStore STORE = new SharingStore(Clock.fixed(Instant.parse("2024-05-01T12:00:00Z"), ZoneOffset.UTC));

    @TempDir Path dir;

    private static ContainerName ct(String name) {
        return ContainerName.parse(name);
    }

    private static GuestPath p(String path) {
        return GuestPath.parse(path);
    }

    private static Share share(String owner, String source, String receiver, String target, Access access) {
        return new Share(Owner.parse(owner), p(source), Optional.ofNullable(receiver).map(ContainerName::parse), p(target), access);
    }

    /** etc/casts.ini, found from the module directory (or the repository root) surefire runs in. */
    private static Path designNoteExample() {
        Path here = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path d = here; d != null; d = d.getParent()) {
            Path candidate = d.resolve("etc/casts.ini");
            if (Files.isRegularFile(candidate)) return candidate;
        }
        throw new AssertionError("etc/casts.ini not found above " + here);
    }

    /** Imports as castctl import does: clear, apply the changes, disable verbs, in one transaction. */
    private static SharingState importInto(Path dbDir, CastsConfig config) throws IOException {
        try (Database db = Database.open(dbDir)) {
            db.transaction(tx -> {
                STORE.clearDesired(tx.dsl());
                STORE.apply(tx.dsl(), CastsIniMapping.toChanges(config, n -> n));
                for (DisabledVerb d : CastsIniMapping.disabledVerbs(config, n -> n)) {
                    STORE.setVerbEnabled(tx.dsl(), d.container(), d.verb(), false);
                }
                return null;
            });
            return db.transaction(tx -> STORE.read(tx.dsl()));
        }
    }

    @Test
    void importsTheDesignNotesExampleExactly() throws IOException {
        SharingState state = importInto(dir.resolve("db"), CastsIni.read(designNoteExample()));

        assertThat(state.shares()).containsExactlyInAnyOrder(
                share("104", "/var/tmp", "103", "/var/tmp", Access.READ_WRITE),
                share("104", "/var/tmp", "105", "/_external/var/tmp", Access.READ_WRITE),
                share("105", "/etc/1337", "103", "/etc/1337", Access.READ_WRITE),
                share("104", "/tmp/portage", null, "/tmp/portage", Access.READ_WRITE),
                share("104", "/etc/skel", null, "/etc/skel", Access.READ_WRITE),
                share("104", "/home/magicaluser", null, "/home/magicaluser", Access.READ_WRITE),
                share("host", "/usr/portage", null, "/usr/portage", Access.READ_ONLY),
                share("host", "/tmp/portage", null, "/tmp/portage", Access.READ_ONLY));
        assertThat(state.acceptances()).containsExactly(new Acceptance(ct("103"), SourceRef.parse("104:/var/tmp"), false));
        assertThat(state.blocks()).containsExactly(new Block(ct("105"), Optional.empty()));
        assertThat(state.placed()).isEmpty();
        assertThat(state.disabledVerbs()).isEmpty();

        DesiredMounts desired = new DesiredMounts(ForbiddenPaths.builtIn());
        Set<ContainerName> running = Set.of(ct("103"), ct("104"), ct("105"));
        assertThat(desired.forReceiver(ct("103"), state, running)).containsExactly(Map.entry(p("/var/tmp"),
                new DesiredMounts.Desired(p("/var/tmp"), SourceRef.parse("104:/var/tmp"), Access.READ_WRITE)));
        assertThat(desired.forReceiver(ct("105"), state, running)).isEmpty();
        assertThat(desired.forReceiver(ct("104"), state, running)).isEmpty();
    }

    @Test
    void exportsAStateThatImportsBackToTheSameState() throws IOException {
        SharingState first = importInto(dir.resolve("first"), CastsIni.read(designNoteExample()));

        StringWriter text = new StringWriter();
        CastsIni.write(CastsIniMapping.fromState(first, Set.of("103", "104", "105", "106")), text);
        CastsConfig reread = CastsIni.read(new StringReader(text.toString()));
        SharingState second = importInto(dir.resolve("second"), reread);

        assertThat(second).isEqualTo(first);
        assertThat(reread.containers()).containsExactly("103", "104", "105", "106");
    }

    @Test
    void carriesDisabledVerbsAndPathBlocksBothWays() throws IOException {
        String ini = """
                [103]
                _blocked = /var/tmp, /srv
                _disabled = cast, caston
                _offered = host:/usr/portage(ro)
                [104]
                /data = 103:/mnt/data(ro)
                """;
        SharingState state = importInto(dir.resolve("db"), CastsIni.read(new StringReader(ini)));
        assertThat(state.blocks()).containsExactlyInAnyOrder(new Block(ct("103"), Optional.of(p("/var/tmp"))),
                new Block(ct("103"), Optional.of(p("/srv"))));
        assertThat(state.disabledVerbs()).containsExactlyInAnyOrder(new DisabledVerb(ct("103"), Verb.CAST),
                new DisabledVerb(ct("103"), Verb.CASTON));
        assertThat(state.shares()).containsExactlyInAnyOrder(share("host", "/usr/portage", "103", "/usr/portage", Access.READ_ONLY),
                share("104", "/data", "103", "/mnt/data", Access.READ_ONLY));

        StringWriter text = new StringWriter();
        CastsIni.write(CastsIniMapping.fromState(state, Set.of()), text);
        assertThat(importInto(dir.resolve("again"), CastsIni.read(new StringReader(text.toString())))).isEqualTo(state);
    }
}
