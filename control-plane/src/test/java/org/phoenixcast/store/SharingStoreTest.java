package org.phoenixcast.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.Acceptance;
import org.phoenixcast.model.Block;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.DisabledVerb;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.Owner;
import org.phoenixcast.model.PlacedMount;
import org.phoenixcast.model.Share;
import org.phoenixcast.model.SharingState;
import org.phoenixcast.model.SourceRef;
import org.phoenixcast.model.Verb;
import org.phoenixcast.policy.Change;

class SharingStoreTest {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2024-05-01T12:00:00Z"), ZoneOffset.UTC);

    @TempDir Path dir;
    private Database db;
    private final SharingStore store = new SharingStore(CLOCK);

    @BeforeEach
    void open() throws IOException {
        db = Database.open(dir.resolve("db"));
    }

    @AfterEach
    void close() {
        db.close();
    }

    static ContainerName ct(String name) {
        return ContainerName.parse(name);
    }

    static GuestPath p(String path) {
        return GuestPath.parse(path);
    }

    static SourceRef src(String ref) {
        return SourceRef.parse(ref);
    }

    static Share offer(String source, String receiver, String target, Access access) {
        SourceRef s = src(source);
        return new Share(s.owner(), s.path(), Optional.of(ct(receiver)), p(target), access);
    }

    static Share publication(String source, Access access) {
        SourceRef s = src(source);
        return new Share(s.owner(), s.path(), Optional.empty(), s.path(), access);
    }

    static Block blockAll(String receiver) {
        return new Block(ct(receiver), Optional.empty());
    }

    static Block block(String receiver, String path) {
        return new Block(ct(receiver), Optional.of(p(path)));
    }

    private void apply(List<Change> changes) {
        db.transaction(tx -> {
            store.apply(tx.dsl(), changes);
            return null;
        });
    }

    private SharingState read() {
        return db.transaction(tx -> store.read(tx.dsl()));
    }

    private static SharingState state(List<Share> shares, List<Acceptance> acceptances, List<Block> blocks) {
        return new SharingState(shares, acceptances, blocks, List.of(), Set.of());
    }

    private static final Share OFFER = offer("104:/var/tmp", "103", "/var/tmp", Access.READ_WRITE);
    private static final Share OFFER_105 = offer("104:/var/tmp", "105", "/_external/var/tmp", Access.READ_WRITE);
    private static final Share PUBLICATION = publication("104:/var/tmp", Access.READ_ONLY);
    private static final Share HOST = publication("host:/usr/portage", Access.READ_ONLY);
    private static final Acceptance ACCEPTED = new Acceptance(ct("103"), src("104:/var/tmp"), false);
    private static final Acceptance ACCEPTED_HOST = new Acceptance(ct("103"), src("host:/usr/portage"), false);

    static Stream<Arguments> changes() {
        Owner o104 = Owner.parse("104");
        return Stream.of(
                Arguments.of("put an offer", List.of(), new Change.PutShare(OFFER), state(List.of(OFFER), List.of(), List.of())),
                Arguments.of("put a publication", List.of(), new Change.PutShare(PUBLICATION),
                        state(List.of(PUBLICATION), List.of(), List.of())),
                Arguments.of("put a host publication", List.of(), new Change.PutShare(HOST), state(List.of(HOST), List.of(), List.of())),
                Arguments.of("put an offer again replaces target and access",
                        List.of(new Change.PutShare(OFFER), new Change.PutShare(PUBLICATION)),
                        new Change.PutShare(offer("104:/var/tmp", "103", "/mnt/x", Access.READ_ONLY)),
                        state(List.of(PUBLICATION, offer("104:/var/tmp", "103", "/mnt/x", Access.READ_ONLY)), List.of(), List.of())),
                Arguments.of("remove the offer to one receiver",
                        List.of(new Change.PutShare(OFFER), new Change.PutShare(OFFER_105), new Change.PutShare(PUBLICATION)),
                        new Change.RemoveShares(o104, p("/var/tmp"), Optional.of(ct("103"))),
                        state(List.of(PUBLICATION, OFFER_105), List.of(), List.of())),
                Arguments.of("remove every share of a folder, publication included",
                        List.of(new Change.PutShare(OFFER), new Change.PutShare(OFFER_105), new Change.PutShare(PUBLICATION),
                                new Change.PutShare(HOST), new Change.PutShare(offer("104:/etc", "103", "/etc", Access.READ_WRITE))),
                        new Change.RemoveShares(o104, p("/var/tmp"), Optional.empty()),
                        state(List.of(offer("104:/etc", "103", "/etc", Access.READ_WRITE), HOST), List.of(), List.of())),
                Arguments.of("remove shares of another owner's same path leaves mine",
                        List.of(new Change.PutShare(OFFER)),
                        new Change.RemoveShares(Owner.parse("105"), p("/var/tmp"), Optional.empty()),
                        state(List.of(OFFER), List.of(), List.of())),
                Arguments.of("put an acceptance", List.of(), new Change.PutAcceptance(ACCEPTED), state(List.of(), List.of(ACCEPTED), List.of())),
                Arguments.of("put an acceptance again updates survivesBlockAll",
                        List.of(new Change.PutAcceptance(ACCEPTED), new Change.PutAcceptance(ACCEPTED_HOST)),
                        new Change.PutAcceptance(new Acceptance(ct("103"), src("104:/var/tmp"), true)),
                        state(List.of(), List.of(new Acceptance(ct("103"), src("104:/var/tmp"), true), ACCEPTED_HOST), List.of())),
                Arguments.of("remove an acceptance",
                        List.of(new Change.PutAcceptance(ACCEPTED), new Change.PutAcceptance(ACCEPTED_HOST),
                                new Change.PutAcceptance(new Acceptance(ct("105"), src("104:/var/tmp"), false))),
                        new Change.RemoveAcceptance(ct("103"), src("104:/var/tmp")),
                        state(List.of(), List.of(ACCEPTED_HOST, new Acceptance(ct("105"), src("104:/var/tmp"), false)), List.of())),
                Arguments.of("put a block of everything", List.of(), new Change.PutBlock(blockAll("105")),
                        state(List.of(), List.of(), List.of(blockAll("105")))),
                Arguments.of("put a block of a path", List.of(new Change.PutBlock(blockAll("105"))), new Change.PutBlock(block("105", "/var")),
                        state(List.of(), List.of(), List.of(blockAll("105"), block("105", "/var")))),
                Arguments.of("put a block twice keeps one", List.of(new Change.PutBlock(block("103", "/var"))),
                        new Change.PutBlock(block("103", "/var")), state(List.of(), List.of(), List.of(block("103", "/var")))),
                Arguments.of("remove a block of everything", List.of(new Change.PutBlock(blockAll("103")), new Change.PutBlock(block("103", "/x"))),
                        new Change.RemoveBlock(blockAll("103")), state(List.of(), List.of(), List.of(block("103", "/x")))),
                Arguments.of("remove a block of a path", List.of(new Change.PutBlock(blockAll("103")), new Change.PutBlock(block("103", "/x"))),
                        new Change.RemoveBlock(block("103", "/x")), state(List.of(), List.of(), List.of(blockAll("103")))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("changes")
    void readsBackEveryAppliedChange(String what, List<Change> before, Change change, SharingState expected) {
        apply(before);
        apply(List.of(change));
        SharingState actual = read();
        assertThat(actual.shares()).containsExactlyInAnyOrderElementsOf(expected.shares());
        assertThat(actual.acceptances()).containsExactlyInAnyOrderElementsOf(expected.acceptances());
        assertThat(actual.blocks()).containsExactlyInAnyOrderElementsOf(expected.blocks());
        assertThat(actual.placed()).isEmpty();
        assertThat(actual.disabledVerbs()).isEmpty();
    }

    @Test
    void readsInAStableOrder() {
        apply(List.of(new Change.PutShare(HOST), new Change.PutShare(OFFER_105), new Change.PutShare(OFFER), new Change.PutShare(PUBLICATION),
                new Change.PutAcceptance(ACCEPTED_HOST), new Change.PutAcceptance(ACCEPTED),
                new Change.PutBlock(block("105", "/b")), new Change.PutBlock(blockAll("103"))));
        SharingState s = read();
        assertThat(s.shares()).containsExactly(PUBLICATION, OFFER, OFFER_105, HOST);
        assertThat(s.acceptances()).containsExactly(ACCEPTED, ACCEPTED_HOST);
        assertThat(s.blocks()).containsExactly(blockAll("103"), block("105", "/b"));
    }

    @Test
    void recordsReplacesAndForgetsPlacedMounts() {
        PlacedMount first = new PlacedMount(ct("103"), p("/var/tmp"), src("104:/var/tmp"), Access.READ_WRITE, 77, 1234);
        PlacedMount other = new PlacedMount(ct("105"), p("/var/tmp"), src("104:/var/tmp"), Access.READ_ONLY, 78, 99);
        PlacedMount replacement = new PlacedMount(ct("103"), p("/var/tmp"), src("host:/var/tmp"), Access.READ_ONLY, 81, 1300);
        db.transaction(tx -> {
            store.recordPlaced(tx.dsl(), first);
            store.recordPlaced(tx.dsl(), other);
            return null;
        });
        assertThat(read().placed()).containsExactly(first, other);
        db.transaction(tx -> {
            store.recordPlaced(tx.dsl(), replacement);
            return null;
        });
        assertThat(read().placed()).containsExactly(replacement, other);
        assertThat(read().placedIn(ct("103"))).containsExactly(replacement);
        db.transaction(tx -> {
            store.forgetPlaced(tx.dsl(), ct("103"), p("/var/tmp"));
            return null;
        });
        assertThat(read().placed()).containsExactly(other);
    }

    @Test
    void disablesAndReEnablesVerbs() {
        db.transaction(tx -> {
            store.setVerbEnabled(tx.dsl(), ct("103"), Verb.CAST, false);
            store.setVerbEnabled(tx.dsl(), ct("103"), Verb.CAST, false);
            store.setVerbEnabled(tx.dsl(), ct("104"), Verb.CASTON, false);
            return null;
        });
        SharingState s = read();
        assertThat(s.disabledVerbs()).containsExactlyInAnyOrder(new DisabledVerb(ct("103"), Verb.CAST),
                new DisabledVerb(ct("104"), Verb.CASTON));
        assertThat(s.isEnabled(ct("103"), Verb.CAST)).isFalse();
        assertThat(s.isEnabled(ct("103"), Verb.CASTON)).isTrue();
        db.transaction(tx -> {
            store.setVerbEnabled(tx.dsl(), ct("103"), Verb.CAST, true);
            store.setVerbEnabled(tx.dsl(), ct("105"), Verb.UCAST, true);
            return null;
        });
        assertThat(read().disabledVerbs()).containsExactly(new DisabledVerb(ct("104"), Verb.CASTON));
    }

    @Test
    void clearDesiredKeepsOnlyPlacedMounts() {
        PlacedMount placed = new PlacedMount(ct("103"), p("/var/tmp"), src("104:/var/tmp"), Access.READ_WRITE, 77, 1234);
        apply(List.of(new Change.PutShare(OFFER), new Change.PutAcceptance(ACCEPTED), new Change.PutBlock(blockAll("105"))));
        db.transaction(tx -> {
            store.recordPlaced(tx.dsl(), placed);
            store.setVerbEnabled(tx.dsl(), ct("103"), Verb.CAST, false);
            store.clearDesired(tx.dsl());
            return null;
        });
        assertThat(read()).isEqualTo(new SharingState(List.of(), List.of(), List.of(), List.of(placed), Set.of()));
    }

    @Test
    void rollsBackEveryChangeOfAFailedTransaction() {
        apply(List.of(new Change.PutShare(OFFER)));
        assertThatThrownBy(() -> db.transaction(tx -> {
            store.apply(tx.dsl(), List.of(new Change.PutAcceptance(ACCEPTED), new Change.RemoveShares(Owner.parse("104"),
                    p("/var/tmp"), Optional.empty())));
            throw new IllegalStateException("boom");
        })).hasMessageContaining("boom");
        assertThat(read()).isEqualTo(state(List.of(OFFER), List.of(), List.of()));
    }
}
