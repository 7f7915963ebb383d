package org.phoenixcast.mount;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class IdmapPlanTest {
    private static final UserNamespace HOST = UserNamespace.INITIAL;
    private static final UserNamespace A = ns("0 100000 65536");
    private static final UserNamespace B = ns("0 200000 65536");

    private static UserNamespace ns(String both) {
        return new UserNamespace(IdMap.parse(both), IdMap.parse(both));
    }

    private static UserNamespace ns(String uids, String gids) {
        return new UserNamespace(IdMap.parse(uids), IdMap.parse(gids));
    }

    static Stream<Arguments> plans() {
        return Stream.of(
                Arguments.of("host -> privileged", HOST, HOST, null, HOST, new IdmapPlan.Unchanged()),
                Arguments.of("privileged -> privileged", HOST, HOST, null, HOST, new IdmapPlan.Unchanged()),
                Arguments.of("same ranges both sides", A, HOST, null, ns("0 100000 65536"), new IdmapPlan.Unchanged()),
                Arguments.of("host -> userns", HOST, HOST, null, A, new IdmapPlan.ReceiverNamespace()),
                Arguments.of("userns -> privileged", A, HOST, null, HOST, new IdmapPlan.Created(ns("100000 0 65536"))),
                Arguments.of("userns -> userns", A, HOST, null, B, new IdmapPlan.Created(ns("100000 200000 65536"))),
                // nspawn -U: the owner's root is idmapped with its own namespace, so it sees on-disk ids as they are
                Arguments.of("idmapped source, same view as host -> userns", A, HOST, A, B, new IdmapPlan.ReceiverNamespace()),
                Arguments.of("idmapped source -> privileged", A, HOST, A, HOST, new IdmapPlan.Created(ns("0 0 65536"))),
                // the host sees that mount's files as 200000 and up, which B cannot represent
                Arguments.of("idmapped source the receiver cannot show", HOST, HOST, B, B,
                        new IdmapPlan.Refused("no uid the owner uses is mapped in the receiving container")),
                Arguments.of("idmapped source, same namespaces both sides", A, HOST, A, A, new IdmapPlan.Unchanged()),
                Arguments.of("smaller receiver range", A, HOST, null, ns("0 300000 1000"),
                        new IdmapPlan.Created(ns("100000 300000 1000"))),
                Arguments.of("different uid and gid maps", ns("0 100000 65536", "0 100000 1000\n1000 500 1"), HOST, null,
                        ns("0 200000 65536"), new IdmapPlan.Created(ns("100000 200000 65536",
                                "100000 200000 1000\n500 201000 1"))),
                // a tmpfs the owner mounted itself: its ids are already the owner's view
                Arguments.of("owner's own tmpfs -> userns", A, A, null, B, new IdmapPlan.ReceiverNamespace()),
                Arguments.of("owner's own tmpfs -> privileged", A, A, null, HOST, new IdmapPlan.Created(ns("0 0 65536"))),
                Arguments.of("owner's own tmpfs -> same ranges", A, A, null, ns("0 100000 65536"),
                        new IdmapPlan.Unchanged()),
                Arguments.of("no common uid", A, HOST, null, ns("70000 300000 1000", "0 300000 1000"),
                        new IdmapPlan.Refused("no uid the owner uses is mapped in the receiving container")),
                Arguments.of("no common gid", A, HOST, null, ns("0 300000 1000", "70000 300000 1000"),
                        new IdmapPlan.Refused("no gid the owner uses is mapped in the receiving container")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("plans")
    void plansTheIdmapThatKeepsTheOwnersView(String name, UserNamespace owner, UserNamespace fileSystem,
                                             UserNamespace sourceMount, UserNamespace receiver, IdmapPlan expected) {
        assertThat(IdmapPlan.of(owner, fileSystem, sourceMount, receiver)).isEqualTo(expected);
    }

    /** The rule itself, id by id: what the owner sees is what the receiver sees through the mount. */
    @Test
    void everyIdTheOwnerSeesShowsTheSameInTheReceiver() {
        UserNamespace owner = ns("0 100000 1000\n1000 400000 500");
        UserNamespace receiver = ns("0 200000 700\n700 600000 65536");
        UserNamespace m = IdmapPlan.mapping(owner, HOST, null, receiver);
        for (long onDisk : new long[] {100000, 100001, 100699, 100700, 100999, 400000, 400499, 400500, 0, 99999}) {
            var ownerSees = owner.uids().toInside(onDisk);
            var hostIdInReceiver = m.uids().toOutside(onDisk);
            var receiverSees = hostIdInReceiver.isPresent() ? receiver.uids().toInside(hostIdInReceiver.getAsLong())
                    : java.util.OptionalLong.empty();
            assertThat(receiverSees).as("on-disk uid %d", onDisk).isEqualTo(ownerSees);
        }
    }

    @Test
    void writesByTheReceiverLandAsTheOwnersIds() {
        UserNamespace m = IdmapPlan.mapping(A, HOST, null, B);
        // B's root (host 200000) creates a file: on disk it gets the id whose M-image is 200000
        assertThat(m.uids().toInside(200000)).hasValue(100000);
        assertThat(A.uids().toInside(100000)).hasValue(0); // the owner sees it as its root
        assertThat(IdmapPlan.mapping(HOST, HOST, null, B).uids().toInside(200000)).hasValue(0); // host share: host root
    }

    @Test
    void planningIsNeededOnlyWhenOwnerAndReceiverMapDifferently() {
        assertThat(IdmapPlan.needed(HOST, HOST)).isFalse();
        assertThat(IdmapPlan.needed(A, ns("0 100000 10\n10 100010 65526"))).isFalse();
        assertThat(IdmapPlan.needed(HOST, A)).isTrue();
        assertThat(IdmapPlan.needed(A, ns("0 100000 65536", "0 100000 1"))).isTrue();
    }

    @Test
    void refusesMappingsTheKernelCannotTake() {
        StringBuilder fragmented = new StringBuilder();
        for (int i = 0; i < 400; i++) fragmented.append(i * 2).append(' ').append(100000 + i * 2).append(" 1\n");
        UserNamespace owner = ns(fragmented.toString());
        assertThat(IdmapPlan.of(owner, HOST, null, B))
                .isEqualTo(new IdmapPlan.Refused("the id mapping has too many ranges for the kernel"));
        StringBuilder wide = new StringBuilder(); // 200 ranges, but over 4 KiB of text
        for (int i = 0; i < 200; i++) {
            wide.append(1_000_000_000L + i * 2).append(' ').append(3_000_000_000L + i * 2).append(" 1\n");
        }
        UserNamespace far = ns(wide.toString());
        assertThat(IdmapPlan.of(far, HOST, null, ns("0 0 4294967295")))
                .isEqualTo(new IdmapPlan.Refused("the id mapping has too many ranges for the kernel"));
    }
}
