package org.phoenixcast.mount;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.phoenixcast.mount.IdMap.Range;

class IdMapTest {

    static Stream<Arguments> valid() {
        return Stream.of(
                Arguments.of("         0          0 4294967295\n", IdMap.IDENTITY),
                Arguments.of("0 100000 65536", IdMap.of(new Range(0, 100000, 65536))),
                Arguments.of("", IdMap.EMPTY),
                // out of order on input, sorted by inside id
                Arguments.of("1000 5000 10\n0 100000 1000\n",
                        IdMap.of(new Range(0, 100000, 1000), new Range(1000, 5000, 10))),
                // ranges that continue each other merge
                Arguments.of("0 100000 10\n10 100010 90\n", IdMap.of(new Range(0, 100000, 100))),
                Arguments.of("4294967294 0 1\n", IdMap.of(new Range(4294967294L, 0, 1))));
    }

    @ParameterizedTest
    @MethodSource("valid")
    void parsesProcMapText(String text, IdMap expected) {
        assertThat(IdMap.parse(text)).isEqualTo(expected);
    }

    static Stream<String> invalid() {
        return Stream.of("0 100000", "0 100000 65536 7", "a b c", "-1 0 1", "0 0 0", "0 0 4294967297",
                "4294967295 0 2", "0 100000 10\n5 200000 10", "0 100000 10\n100 100005 10", "0 0 99999999999",
                "0 +5 1");
    }

    @ParameterizedTest
    @MethodSource("invalid")
    void refusesMalformedOrOverlappingMaps(String text) {
        assertThatThrownBy(() -> IdMap.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void equalsMeansTheSameFunctionWhateverTheRangesLookedLike() {
        assertThat(IdMap.parse("0 100000 5\n5 100005 5")).isEqualTo(IdMap.parse("0 100000 10"));
        assertThat(IdMap.parse("0 100000 5\n6 100006 4")).isNotEqualTo(IdMap.parse("0 100000 10"));
        assertThat(IdMap.parse("0 0 4294967295").isIdentity()).isTrue();
        assertThat(IdMap.parse("0 0 65536").isIdentity()).isFalse();
    }

    @Test
    void mapsBothWaysAndLeavesUnmappedIdsEmpty() {
        IdMap m = IdMap.parse("0 100000 65536\n70000 5000 10");
        assertThat(m.toOutside(0)).hasValue(100000);
        assertThat(m.toOutside(65535)).hasValue(165535);
        assertThat(m.toOutside(65536)).isEqualTo(OptionalLong.empty());
        assertThat(m.toOutside(70009)).hasValue(5009);
        assertThat(m.toInside(100005)).hasValue(5);
        assertThat(m.toInside(99999)).isEqualTo(OptionalLong.empty());
        assertThat(m.inverse().inverse()).isEqualTo(m);
    }

    @Test
    void composesWholeRanges() {
        IdMap owner = IdMap.parse("0 100000 65536");
        IdMap receiver = IdMap.parse("0 200000 65536");
        // on-disk (host) id of the owner's files -> owner's id -> receiver's host id
        assertThat(owner.inverse().andThen(receiver)).isEqualTo(IdMap.parse("100000 200000 65536"));
        assertThat(owner.inverse().andThen(IdMap.IDENTITY)).isEqualTo(IdMap.parse("100000 0 65536"));
        assertThat(IdMap.IDENTITY.andThen(receiver)).isEqualTo(receiver);
        assertThat(owner.inverse().andThen(owner)).isEqualTo(IdMap.parse("100000 100000 65536"));
    }

    @Test
    void composesPartialOverlapsToTheOverlapOnly() {
        // owner sees 0..999 and 2000..2999; receiver maps 500..2499
        IdMap first = IdMap.parse("0 0 1000\n1000 2000 1000");
        IdMap second = IdMap.parse("500 300500 2000");
        IdMap composed = first.andThen(second);
        assertThat(composed).isEqualTo(IdMap.parse("500 300500 500\n1000 302000 500"));
        assertThat(composed.toOutside(499)).isEmpty();
        assertThat(composed.toOutside(500)).hasValue(300500);
        assertThat(composed.toOutside(999)).hasValue(300999);
        assertThat(composed.toOutside(1000)).hasValue(302000);
        assertThat(composed.toOutside(1499)).hasValue(302499);
        assertThat(composed.toOutside(1500)).isEmpty();
    }

    @Test
    void composingDisjointMapsMapsNothing() {
        assertThat(IdMap.parse("0 100000 65536").andThen(IdMap.parse("0 300000 1000"))).isEqualTo(IdMap.EMPTY);
        assertThat(IdMap.EMPTY.andThen(IdMap.IDENTITY).isEmpty()).isTrue();
    }

    @Test
    void compositionCutsIntoManyRangesWhenBothMapsAreFragmented() {
        // first: inside ids 0, 200, 400.. (100 each) onto one run 10000..10999 in ten pieces;
        // second: that run shifted by 50, in ten pieces spread out
        StringBuilder a = new StringBuilder();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            a.append(i * 200).append(' ').append(10000 + i * 100).append(" 100\n");
            b.append(10050 + i * 100).append(' ').append(500000 + i * 1000).append(" 100\n");
        }
        IdMap composed = IdMap.parse(a.toString()).andThen(IdMap.parse(b.toString()));
        assertThat(composed.ranges()).hasSize(19);
        assertThat(composed.toOutside(0)).isEmpty();
        assertThat(composed.toOutside(50)).hasValue(500000);
        assertThat(composed.toOutside(200)).hasValue(500050);
        assertThat(composed.toOutside(250)).hasValue(501000);
    }

    @Test
    void procFormatRoundTrips() {
        IdMap m = IdMap.parse("0 100000 1000\n1000 5000 10");
        assertThat(m.procFormat()).isEqualTo("0 100000 1000\n1000 5000 10\n");
        assertThat(IdMap.parse(m.procFormat())).isEqualTo(m);
    }
}
