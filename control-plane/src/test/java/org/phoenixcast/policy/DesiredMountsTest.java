package org.phoenixcast.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.phoenixcast.policy.States.RO;
import static org.phoenixcast.policy.States.RW;
import static org.phoenixcast.policy.States.accepted;
import static org.phoenixcast.policy.States.acceptedSurvivingBlockAll;
import static org.phoenixcast.policy.States.block;
import static org.phoenixcast.policy.States.blockAll;
import static org.phoenixcast.policy.States.ct;
import static org.phoenixcast.policy.States.disabled;
import static org.phoenixcast.policy.States.offer;
import static org.phoenixcast.policy.States.path;
import static org.phoenixcast.policy.States.publication;
import static org.phoenixcast.policy.States.running;
import static org.phoenixcast.policy.States.src;
import static org.phoenixcast.policy.States.state;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.SharingState;
import org.phoenixcast.model.Verb;

class DesiredMountsTest {
    private static final DesiredMounts DESIRED = new DesiredMounts(new ForbiddenPaths(List.of(GuestPath.parse("/boot"))));
    private static final ContainerName RECEIVER = ct("103");
    private static final Set<ContainerName> BOTH_RUN = running("103", "104");
    private static final DesiredMounts.Desired VAR_TMP = new DesiredMounts.Desired(path("/var/tmp"), src("104:/var/tmp"), RW);

    private static Map<GuestPath, DesiredMounts.Desired> mounts(SharingState state, Set<ContainerName> running) {
        return DESIRED.forReceiver(RECEIVER, state, running);
    }

    private static Arguments row(String condition, SharingState state, Set<ContainerName> running, boolean mounted) {
        return Arguments.of(condition, state, running, mounted);
    }

    static Stream<Arguments> conditions() {
        return Stream.of(
                row("all conditions hold", state(offer("104:/var/tmp", "103", "/var/tmp", RW), accepted("103", "104:/var/tmp")),
                        BOTH_RUN, true),
                row("not offered", state(accepted("103", "104:/var/tmp")), BOTH_RUN, false),
                row("offered to another container", state(offer("104:/var/tmp", "105", "/var/tmp", RW), accepted("103", "104:/var/tmp")),
                        running("103", "104", "105"), false),
                row("another owner's folder of the same path offered",
                        state(offer("105:/var/tmp", "103", "/var/tmp", RW), accepted("103", "104:/var/tmp")), running("103", "104", "105"), false),
                row("not accepted", state(offer("104:/var/tmp", "103", "/var/tmp", RW)), BOTH_RUN, false),
                row("accepted by another container",
                        state(offer("104:/var/tmp", "103", "/var/tmp", RW), accepted("105", "104:/var/tmp")), running("103", "104", "105"), false),
                row("receiver blocks everything",
                        state(offer("104:/var/tmp", "103", "/var/tmp", RW), accepted("103", "104:/var/tmp"), blockAll("103")), BOTH_RUN, false),
                row("block all spares a mount that survives it",
                        state(offer("104:/var/tmp", "103", "/var/tmp", RW), acceptedSurvivingBlockAll("103", "104:/var/tmp"), blockAll("103")),
                        BOTH_RUN, true),
                row("receiver blocks the target",
                        state(offer("104:/var/tmp", "103", "/var/tmp", RW), accepted("103", "104:/var/tmp"), block("103", "/var/tmp")), BOTH_RUN, false),
                row("receiver blocks a parent of the target",
                        state(offer("104:/var/tmp", "103", "/var/tmp", RW), accepted("103", "104:/var/tmp"), block("103", "/var")), BOTH_RUN, false),
                row("a path block covers even a mount that survives block-all",
                        state(offer("104:/var/tmp", "103", "/var/tmp", RW), acceptedSurvivingBlockAll("103", "104:/var/tmp"), block("103", "/var")),
                        BOTH_RUN, false),
                row("a block below the target does not cover it",
                        state(offer("104:/var/tmp", "103", "/var/tmp", RW), accepted("103", "104:/var/tmp"), block("103", "/var/tmp/x")), BOTH_RUN, true),
                row("a block of a sibling prefix does not cover it",
                        state(offer("104:/var/tmp", "103", "/var/tmp", RW), accepted("103", "104:/var/tmp"), block("103", "/var/tm")), BOTH_RUN, true),
                row("another container's block does not matter",
                        state(offer("104:/var/tmp", "103", "/var/tmp", RW), accepted("103", "104:/var/tmp"), blockAll("104"), block("105", "/var")),
                        BOTH_RUN, true),
                row("receiver not running", state(offer("104:/var/tmp", "103", "/var/tmp", RW), accepted("103", "104:/var/tmp")),
                        running("104"), false),
                row("owner not running", state(offer("104:/var/tmp", "103", "/var/tmp", RW), accepted("103", "104:/var/tmp")),
                        running("103"), false),
                row("the host always runs", state(publication("host:/usr/portage", RO), accepted("103", "host:/usr/portage")),
                        running("103"), true),
                row("owner's cast disabled",
                        state(offer("104:/var/tmp", "103", "/var/tmp", RW), accepted("103", "104:/var/tmp"), disabled("104", Verb.CAST)),
                        BOTH_RUN, false),
                row("receiver's caston disabled",
                        state(offer("104:/var/tmp", "103", "/var/tmp", RW), accepted("103", "104:/var/tmp"), disabled("103", Verb.CASTON)),
                        BOTH_RUN, false),
                row("other verbs disabled do not matter",
                        state(offer("104:/var/tmp", "103", "/var/tmp", RW), accepted("103", "104:/var/tmp"), disabled("103", Verb.CAST),
                                disabled("104", Verb.CASTON), disabled("103", Verb.CASTBLOCK), disabled("104", Verb.UCAST)),
                        BOTH_RUN, true),
                row("target forbidden by configuration",
                        state(offer("104:/var/tmp", "103", "/boot/tmp", RW), accepted("103", "104:/var/tmp")), BOTH_RUN, false),
                row("target forbidden built in",
                        state(offer("104:/var/tmp", "103", "/proc/tmp", RW), accepted("103", "104:/var/tmp")), BOTH_RUN, false),
                row("target is the root",
                        state(offer("104:/var/tmp", "103", "/", RW), accepted("103", "104:/var/tmp")), BOTH_RUN, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("conditions")
    void mountsExactlyWhenEveryConditionHolds(String condition, SharingState state, Set<ContainerName> running, boolean mounted) {
        Map<GuestPath, DesiredMounts.Desired> result = mounts(state, running);
        if (!mounted) {
            assertThat(result).isEmpty();
        } else if (result.containsKey(path("/usr/portage"))) {
            assertThat(result).containsExactly(Map.entry(path("/usr/portage"),
                    new DesiredMounts.Desired(path("/usr/portage"), src("host:/usr/portage"), RO)));
        } else {
            assertThat(result).containsExactly(Map.entry(path("/var/tmp"), VAR_TMP));
        }
    }

    @Test
    void ordersParentsBeforeChildren() {
        SharingState s = state(
                offer("104:/c", "103", "/a/b/c", RW), offer("104:/z", "103", "/z", RO), offer("104:/b", "103", "/a/b", RW),
                offer("104:/a", "103", "/a", RW), offer("104:/y", "103", "/a/b/c/d/y", RW),
                accepted("103", "104:/y"), accepted("103", "104:/c"), accepted("103", "104:/z"), accepted("103", "104:/b"),
                accepted("103", "104:/a"));
        assertThat(mounts(s, BOTH_RUN).keySet()).extracting(GuestPath::value)
                .containsExactly("/a", "/z", "/a/b", "/a/b/c", "/a/b/c/d/y");
        List<GuestPath> seen = new ArrayList<>();
        for (GuestPath target : mounts(s, BOTH_RUN).keySet()) {
            assertThat(seen).noneMatch(earlier -> earlier.isAtOrBelow(target));
            seen.add(target);
        }
    }

    static Stream<Arguments> conflictingOrders() {
        SharingState forward = state(offer("105:/y", "103", "/t", RO), offer("104:/x", "103", "/t", RW),
                publication("host:/t", RO), accepted("103", "105:/y"), accepted("103", "104:/x"), accepted("103", "host:/t"));
        SharingState backward = state(publication("host:/t", RO), offer("104:/x", "103", "/t", RW), offer("105:/y", "103", "/t", RO),
                accepted("103", "host:/t"), accepted("103", "104:/x"), accepted("103", "105:/y"));
        return Stream.of(Arguments.of(forward), Arguments.of(backward));
    }

    @ParameterizedTest
    @MethodSource("conflictingOrders")
    void givesAContestedTargetToTheFirstSourceWhateverTheStoredOrder(SharingState s) {
        Set<ContainerName> all = running("103", "104", "105");
        assertThat(mounts(s, all)).containsExactly(Map.entry(path("/t"), new DesiredMounts.Desired(path("/t"), src("104:/x"), RW)));
        assertThat(mounts(s, running("103", "105"))).containsExactly(
                Map.entry(path("/t"), new DesiredMounts.Desired(path("/t"), src("105:/y"), RO)));
        assertThat(mounts(s, running("103"))).containsExactly(
                Map.entry(path("/t"), new DesiredMounts.Desired(path("/t"), src("host:/t"), RO)));
    }

    @Test
    void prefersADirectOfferToAPublicationOfTheSameFolder() {
        SharingState s = state(publication("104:/data", RW), offer("104:/data", "103", "/mnt/data", RO),
                accepted("103", "104:/data"), accepted("105", "104:/data"));
        assertThat(mounts(s, BOTH_RUN)).containsExactly(
                Map.entry(path("/mnt/data"), new DesiredMounts.Desired(path("/mnt/data"), src("104:/data"), RO)));
        assertThat(DESIRED.forReceiver(ct("105"), s, running("104", "105"))).containsExactly(
                Map.entry(path("/data"), new DesiredMounts.Desired(path("/data"), src("104:/data"), RW)));
        SharingState reversed = state(offer("104:/data", "103", "/mnt/data", RO), publication("104:/data", RW),
                accepted("103", "104:/data"));
        assertThat(mounts(reversed, BOTH_RUN)).containsOnlyKeys(path("/mnt/data"));
    }

    @Test
    void neverMountsAContainersOwnPublicationInItself() {
        SharingState s = state(publication("103:/srv", RW), accepted("103", "103:/srv"));
        assertThat(mounts(s, BOTH_RUN)).isEmpty();
    }
}
