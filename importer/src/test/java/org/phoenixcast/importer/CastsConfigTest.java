package org.phoenixcast.importer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The records validate what the control plane hands them, and CastsConfig is canonical. */
class CastsConfigTest {

    static Stream<Arguments> validRecords() {
        return Stream.of(
                arguments("numeric names", (Supplier<?>) () -> new Offer("104", "/var/tmp", "103", "/var/tmp", false)),
                arguments("64-character name", (Supplier<?>) () -> Block.all("a" + "b".repeat(63))),
                arguments("host as owner", (Supplier<?>) () -> new Acceptance("103", "host", "/usr/portage")),
                arguments("publication", (Supplier<?>) () -> Offer.published("host", "/usr/portage", true)),
                arguments("root path", (Supplier<?>) () -> new Block("103", "/")),
                arguments("4095-byte path", (Supplier<?>) () -> new Block("103", ("/" + "a".repeat(255)).repeat(15) + "/" + "b".repeat(254))),
                arguments("verb", (Supplier<?>) () -> new DisabledVerb("103", "showcast")));
    }

    static Stream<Arguments> invalidRecords() {
        return Stream.of(
                arguments((Supplier<?>) () -> new Offer("104", "var/tmp", "103", "/var/tmp", false),
                        "invalid source path 'var/tmp': path must be absolute"),
                arguments((Supplier<?>) () -> new Offer("104", "/var/tmp", "103", "/x/..", false),
                        "invalid target path '/x/..': path contains '..'"),
                arguments((Supplier<?>) () -> new Offer("104", "/var/tmp", "host", "/var/tmp", false),
                        "invalid receiver 'host'"),
                arguments((Supplier<?>) () -> new Offer("104", "/var/tmp", "104", "/var/tmp", false), "to itself"),
                arguments((Supplier<?>) () -> new Offer("host", "/opt", "103", "/mnt/opt", false),
                        "casts.ini can only express it at the same path"),
                arguments((Supplier<?>) () -> new Offer("104", "/a", "*", "/b", false), "at the same path"),
                arguments((Supplier<?>) () -> new Offer("published", "/a", "103", "/a", false),
                        "'published' is reserved"),
                arguments((Supplier<?>) () -> new Acceptance("103", "103", "/a"), "accepts its own"),
                arguments((Supplier<?>) () -> new Acceptance("*", "104", "/a"), "invalid receiver '*'"),
                arguments((Supplier<?>) () -> new Block("103", "/a/"), "path must not end with '/'"),
                arguments((Supplier<?>) () -> new Block("103", "/a,b"), "path contains ','"),
                arguments((Supplier<?>) () -> new Block("103", "/a=b"), "path contains '='"),
                arguments((Supplier<?>) () -> new Block("103", "/a(b)"), "must not end with ')'"),
                arguments((Supplier<?>) () -> new Block("103", "/a "), "must not end with whitespace"),
                arguments((Supplier<?>) () -> new Block("103", "/a\\"), "must not end with '\\'"),
                arguments((Supplier<?>) () -> new Block("103", "/a\nb"), "control character"),
                arguments((Supplier<?>) () -> new Block("103", "/a".repeat(2048)), "longer than 4095 bytes"),
                arguments((Supplier<?>) () -> new Block("103", "/a".repeat(65)), "more than 64 components"),
                arguments((Supplier<?>) () -> new Block("103", ""), "path is empty"),
                arguments((Supplier<?>) () -> new Block("x".repeat(65), "*"), "invalid receiver"),
                arguments((Supplier<?>) () -> new DisabledVerb("103", "Cast"), "invalid verb 'Cast'"),
                arguments((Supplier<?>) () -> new CastsConfig(List.of(), List.of(), List.of(), List.of(),
                        Set.of("host")), "invalid container 'host'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validRecords")
    void acceptsValidValues(String description, Supplier<?> record) {
        assertThat(record.get()).isNotNull();
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("invalidRecords")
    void refusesInvalidValuesNamingThem(Supplier<?> record, String messageFragment) {
        assertThatThrownBy(record::get).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(messageFragment);
    }

    @Test
    void sortsAndDeduplicatesSoThatEqualStatesAreEqual() {
        Offer a = new Offer("104", "/a", "103", "/a", false);
        Offer b = Offer.published("host", "/usr", true);
        CastsConfig one = new CastsConfig(List.of(b, a, a), List.of(), List.of(), List.of(), Set.of("104"));
        CastsConfig other = new CastsConfig(List.of(a, b), List.of(), List.of(), List.of(), Set.of("103"));

        assertThat(one).isEqualTo(other);
        assertThat(one.offers()).containsExactly(a, b);
        assertThat(one.containers()).containsExactly("103", "104");
    }

    @Test
    void namesEveryContainerTheConfigMentions() {
        CastsConfig config = new CastsConfig(
                List.of(new Offer("104", "/a", "103", "/a", false), Offer.published("pub", "/p", false)),
                List.of(new Acceptance("105", "106", "/x"), new Acceptance("105", "host", "/y")),
                List.of(new Block("107", "/z")), List.of(new DisabledVerb("108", "cast")), Set.of("109"));

        assertThat(config.containers()).containsExactly("103", "104", "105", "106", "107", "108", "109", "pub");
    }

    @Test
    void aBlockOfEverythingMakesPathBlocksRedundant() {
        CastsConfig config = new CastsConfig(List.of(), List.of(),
                List.of(new Block("103", "/a"), Block.all("103"), new Block("104", "/b")), List.of(), Set.of());

        assertThat(config.blocks()).containsExactly(Block.all("103"), new Block("104", "/b"));
    }

    @Test
    void refusesTwoDifferentOffersOfTheSameShare() {
        assertThatThrownBy(() -> new CastsConfig(List.of(new Offer("104", "/a", "103", "/a", false),
                new Offer("104", "/a", "103", "/a", true)), List.of(), List.of(), List.of(), Set.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("conflicting offers of 104:/a to 103");
    }

    @Test
    void listsAreImmutable() {
        CastsConfig config = NoteExampleTest.NOTE_STATE;
        assertThatThrownBy(() -> config.offers().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> config.containers().add("999")).isInstanceOf(UnsupportedOperationException.class);
    }
}
