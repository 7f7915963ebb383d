package org.phoenixcast.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.phoenixcast.model.Verb.CAST;
import static org.phoenixcast.model.Verb.CASTBLOCK;
import static org.phoenixcast.model.Verb.CASTOFF;
import static org.phoenixcast.model.Verb.CASTON;
import static org.phoenixcast.model.Verb.SHOWCAST;
import static org.phoenixcast.model.Verb.UCAST;
import static org.phoenixcast.policy.States.RO;
import static org.phoenixcast.policy.States.RW;
import static org.phoenixcast.policy.States.accepted;
import static org.phoenixcast.policy.States.acceptedSurvivingBlockAll;
import static org.phoenixcast.policy.States.block;
import static org.phoenixcast.policy.States.blockAll;
import static org.phoenixcast.policy.States.ct;
import static org.phoenixcast.policy.States.offer;
import static org.phoenixcast.policy.States.path;
import static org.phoenixcast.policy.States.placed;
import static org.phoenixcast.policy.States.publication;
import static org.phoenixcast.policy.States.running;
import static org.phoenixcast.policy.States.src;
import static org.phoenixcast.policy.States.state;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.Owner;
import org.phoenixcast.model.SharingState;
import org.phoenixcast.model.Verb;
import org.phoenixcast.protocol.Command;
import org.phoenixcast.protocol.CommandParser;

class SharingPolicyTest {
    private static final ForbiddenPaths FORBIDDEN = new ForbiddenPaths(List.of(GuestPath.parse("/boot")));
    private static final SharingPolicy POLICY = new SharingPolicy(FORBIDDEN);
    private static final DesiredMounts DESIRED = new DesiredMounts(FORBIDDEN);

    private static Decision apply(List<Change> changes, String... messages) {
        return new Decision.Apply(changes, List.of(messages));
    }

    private static Decision refuse(String reason) {
        return new Decision.Refuse(reason);
    }

    private static Decision show(String... lines) {
        return new Decision.Show(List.of(lines));
    }

    private static Arguments row(String requester, Verb verb, String line, SharingState state, Decision expected) {
        return Arguments.of(requester, verb, line, state, expected);
    }

    private static Decision decide(String requester, Verb verb, String line, SharingState state) {
        return POLICY.decide(ct(requester), CommandParser.parse(verb, line), state);
    }

    static Stream<Arguments> casts() {
        SharingState empty = SharingState.empty();
        return Stream.of(
                row("103", CAST, "/srv web2", empty, apply(List.of(new Change.PutShare(offer("103:/srv", "web2", "/srv", RW))),
                        "offered /srv to web2 at /srv (rw)")),
                row("103", CAST, "--ro /srv web2:/mnt/srv", empty, apply(List.of(new Change.PutShare(offer("103:/srv", "web2", "/mnt/srv", RO))),
                        "offered /srv to web2 at /mnt/srv (ro)")),
                row("103", CAST, "/srv", empty, apply(List.of(new Change.PutShare(publication("103:/srv", RW))),
                        "published /srv to every container at /srv (rw)")),
                row("103", CAST, "--ro /srv", state(publication("103:/srv", RW)),
                        apply(List.of(new Change.PutShare(publication("103:/srv", RO))), "published /srv to every container at /srv (ro)")),
                row("103", CAST, "/srv 103", empty, refuse("cannot offer /srv to yourself")),
                row("103", CAST, "/srv 103:/mnt", empty, refuse("cannot offer /srv to yourself")),
                row("103", CAST, "/ web2", empty, refuse("cannot share /: / is not shareable")),
                row("103", CAST, "/proc/self web2", empty, refuse("cannot share /proc/self: /proc is not shareable")),
                row("103", CAST, "/sys web2:/x", empty, refuse("cannot share /sys: /sys is not shareable")),
                row("103", CAST, "/dev/shm", empty, refuse("cannot share /dev/shm: /dev is not shareable")),
                row("103", CAST, "/.syscmd web2", empty, refuse("cannot share /.syscmd: /.syscmd is not shareable")),
                row("103", CAST, "/syscmd/replies web2", empty, refuse("cannot share /syscmd/replies: /syscmd is not shareable")),
                row("103", CAST, "/boot/efi web2", empty, refuse("cannot share /boot/efi: /boot is not shareable")),
                row("103", CAST, "/srv web2:/", empty, refuse("target / is forbidden (/)")),
                row("103", CAST, "/srv web2:/proc", empty, refuse("target /proc is forbidden (/proc)")),
                row("103", CAST, "/srv web2:/dev/x", empty, refuse("target /dev/x is forbidden (/dev)")),
                row("103", CAST, "/srv web2:/syscmd", empty, refuse("target /syscmd is forbidden (/syscmd)")),
                row("103", CAST, "/srv web2:/.syscmd/caston", empty, refuse("target /.syscmd/caston is forbidden (/.syscmd)")),
                row("103", CAST, "/srv web2:/boot", empty, refuse("target /boot is forbidden (/boot)")),
                row("103", CAST, "/srv web2:/procfs", empty, apply(List.of(new Change.PutShare(offer("103:/srv", "web2", "/procfs", RW))),
                        "offered /srv to web2 at /procfs (rw)")));
    }

    static Stream<Arguments> ucasts() {
        SharingState offered = state(publication("103:/srv", RW), offer("103:/srv", "web2", "/mnt/srv", RO),
                offer("104:/srv", "web3", "/srv", RW));
        return Stream.of(
                row("103", UCAST, "/srv web2", offered, apply(List.of(new Change.RemoveShares(new Owner.Guest(ct("103")), path("/srv"),
                        Optional.of(ct("web2")))), "withdrew /srv from web2")),
                row("103", UCAST, "/srv", offered, apply(List.of(new Change.RemoveShares(new Owner.Guest(ct("103")), path("/srv"),
                        Optional.empty())), "withdrew /srv from every container", "withdrew /srv from web2")),
                row("103", UCAST, "/srv web3", offered, refuse("you have not offered /srv to web3")),
                row("103", UCAST, "/other", offered, refuse("you have not offered /other")),
                row("105", UCAST, "/srv", offered, refuse("you have not offered /srv")),
                row("104", UCAST, "/srv web2", offered, refuse("you have not offered /srv to web2")),
                row("104", UCAST, "/srv", offered, apply(List.of(new Change.RemoveShares(new Owner.Guest(ct("104")), path("/srv"),
                        Optional.empty())), "withdrew /srv from web3")));
    }

    static Stream<Arguments> castons() {
        SharingState offered = state(offer("104:/var/tmp", "103", "/var/tmp", RW), publication("host:/usr/portage", RO),
                publication("103:/srv", RW), offer("104:/etc", "105", "/etc", RW), offer("105:/etc/1337", "103", "/etc/1337", RW),
                accepted("103", "105:/etc/1337"));
        return Stream.of(
                row("103", CASTON, "104:/var/tmp", offered, apply(List.of(new Change.PutAcceptance(accepted("103", "104:/var/tmp"))),
                        "accepted 104:/var/tmp at /var/tmp (rw)")),
                row("103", CASTON, "host:/usr/portage", offered, apply(List.of(new Change.PutAcceptance(accepted("103", "host:/usr/portage"))),
                        "accepted host:/usr/portage at /usr/portage (ro)")),
                row("103", CASTON, "104:/var/tmp", SharingState.empty(), apply(List.of(new Change.PutAcceptance(accepted("103", "104:/var/tmp"))),
                        "accepted 104:/var/tmp; it is not offered to you yet and mounts when 104 offers it")),
                row("103", CASTON, "104:/etc", offered, apply(List.of(new Change.PutAcceptance(accepted("103", "104:/etc"))),
                        "accepted 104:/etc; it is not offered to you yet and mounts when 104 offers it")),
                row("103", CASTON, "105:/etc/1337", offered, apply(List.of(), "already accepted 105:/etc/1337 at /etc/1337 (rw)")),
                row("103", CASTON, "103:/srv", offered, refuse("cannot accept your own folder 103:/srv")),
                row("103", CASTON, "103:/anything", SharingState.empty(), refuse("cannot accept your own folder 103:/anything")),
                // no argument: everything visible and not yet accepted, never the requester's own shares
                row("103", CASTON, "", offered, apply(List.of(new Change.PutAcceptance(accepted("103", "104:/var/tmp")),
                                new Change.PutAcceptance(accepted("103", "host:/usr/portage"))),
                        "accepted 104:/var/tmp at /var/tmp (rw)", "accepted host:/usr/portage at /usr/portage (ro)")),
                row("105", CASTON, "", offered, apply(List.of(new Change.PutAcceptance(accepted("105", "host:/usr/portage")),
                                new Change.PutAcceptance(accepted("105", "103:/srv")), new Change.PutAcceptance(accepted("105", "104:/etc"))),
                        "accepted host:/usr/portage at /usr/portage (ro)", "accepted 103:/srv at /srv (rw)", "accepted 104:/etc at /etc (rw)")),
                row("103", CASTON, "", state(publication("103:/srv", RW), offer("103:/x", "104", "/x", RW)),
                        apply(List.of(), "nothing new is offered to you")),
                row("103", CASTON, "", SharingState.empty(), apply(List.of(), "nothing new is offered to you")));
    }

    static Stream<Arguments> castoffs() {
        SharingState accepted = state(offer("104:/var/tmp", "103", "/mnt/v", RW), accepted("103", "104:/var/tmp"),
                accepted("103", "host:/usr/portage"), accepted("105", "104:/x"), placed("103", "/mnt/v", "104:/var/tmp", RW));
        return Stream.of(
                row("103", CASTOFF, "", accepted, apply(List.of(new Change.RemoveAcceptance(ct("103"), src("104:/var/tmp")),
                        new Change.RemoveAcceptance(ct("103"), src("host:/usr/portage"))), "dropped 104:/var/tmp", "dropped host:/usr/portage")),
                row("103", CASTOFF, "/mnt/v", accepted, apply(List.of(new Change.RemoveAcceptance(ct("103"), src("104:/var/tmp"))),
                        "dropped 104:/var/tmp")),
                row("103", CASTOFF, "/usr/portage", accepted, apply(List.of(new Change.RemoveAcceptance(ct("103"), src("host:/usr/portage"))),
                        "dropped host:/usr/portage")),
                row("103", CASTOFF, "/var/tmp", accepted, refuse("nothing is mounted or accepted at /var/tmp")),
                row("103", CASTOFF, "/mnt", accepted, refuse("nothing is mounted or accepted at /mnt")),
                row("103", CASTOFF, "104:/var/tmp", accepted, apply(List.of(new Change.RemoveAcceptance(ct("103"), src("104:/var/tmp"))),
                        "dropped 104:/var/tmp")),
                row("103", CASTOFF, "104:/x", accepted, refuse("you have not accepted 104:/x")),
                row("105", CASTOFF, "", accepted, apply(List.of(new Change.RemoveAcceptance(ct("105"), src("104:/x"))), "dropped 104:/x")),
                row("104", CASTOFF, "", accepted, apply(List.of(), "nothing was accepted")),
                row("104", CASTOFF, "/mnt/v", accepted, refuse("nothing is mounted or accepted at /mnt/v")),
                // a mount still in place whose acceptance is gone is dropped by its target
                row("103", CASTOFF, "/old", state(placed("103", "/old", "106:/old", RO)),
                        apply(List.of(new Change.RemoveAcceptance(ct("103"), src("106:/old"))), "dropped 106:/old")));
    }

    static Stream<Arguments> castblocks() {
        SharingState mounted = state(offer("104:/var/tmp", "103", "/var/tmp", RW), accepted("103", "104:/var/tmp"),
                accepted("103", "host:/usr/portage"), placed("103", "/var/tmp", "104:/var/tmp", RW),
                placed("103", "/gone", "106:/gone", RW), blockAll("105"));
        SharingState blockedAll = state(blockAll("103"), acceptedSurvivingBlockAll("103", "104:/var/tmp"),
                accepted("103", "host:/usr/portage"), block("103", "/data"));
        return Stream.of(
                row("103", CASTBLOCK, "", mounted, apply(List.of(new Change.PutBlock(blockAll("103")),
                        new Change.PutAcceptance(acceptedSurvivingBlockAll("103", "104:/var/tmp"))), "blocking every new mount")),
                row("103", CASTBLOCK, "", SharingState.empty(), apply(List.of(new Change.PutBlock(blockAll("103"))), "blocking every new mount")),
                row("103", CASTBLOCK, "", blockedAll, apply(List.of(), "already blocking every new mount")),
                row("103", CASTBLOCK, "/var/tmp", mounted, apply(List.of(new Change.PutBlock(block("103", "/var/tmp"))),
                        "blocking mounts at /var/tmp")),
                row("103", CASTBLOCK, "/data", blockedAll, apply(List.of(), "already blocking mounts at /data")),
                row("103", CASTBLOCK, "-u", blockedAll, apply(List.of(new Change.RemoveBlock(blockAll("103")),
                        new Change.PutAcceptance(accepted("103", "104:/var/tmp"))), "lifted the block of every new mount")),
                row("103", CASTBLOCK, "-u /data", blockedAll, apply(List.of(new Change.RemoveBlock(block("103", "/data"))),
                        "lifted the block of mounts at /data")),
                row("103", CASTBLOCK, "-u", mounted, refuse("no block of every new mount to lift")),
                row("103", CASTBLOCK, "-u /var/tmp", mounted, refuse("no block of mounts at /var/tmp to lift")),
                row("103", CASTBLOCK, "-u /data/x", blockedAll, refuse("no block of mounts at /data/x to lift")),
                row("104", CASTBLOCK, "-u", blockedAll, refuse("no block of every new mount to lift")));
    }

    static Stream<Arguments> showcasts() {
        SharingState s = state(offer("104:/var/tmp", "103", "/var/tmp", RW), offer("105:/etc/1337", "103", "/etc/1337", RW),
                publication("host:/usr/portage", RO), offer("104:/data", "103", "/mnt/data", RW), publication("103:/srv", RW),
                offer("104:/other", "105", "/other", RW),
                accepted("103", "104:/var/tmp"), accepted("103", "host:/usr/portage"), accepted("103", "104:/data"),
                accepted("103", "106:/x"), block("103", "/mnt"),
                placed("103", "/var/tmp", "104:/var/tmp", RW), placed("105", "/other", "104:/other", RW));
        SharingState allBlocked = state(offer("104:/a", "103", "/a", RW), offer("104:/b", "103", "/b", RO),
                acceptedSurvivingBlockAll("103", "104:/a"), accepted("103", "104:/b"), blockAll("103"));
        SharingState twoMounted = state(placed("103", "/var/tmp", "104:/var/tmp", RW), placed("103", "/usr/portage", "host:/usr/portage", RO),
                placed("103", "/a/b", "105:/b", RO), placed("105", "/other", "104:/other", RW));
        return Stream.of(
                row("103", SHOWCAST, "", twoMounted, show("105:/b /a/b ro", "host:/usr/portage /usr/portage ro", "104:/var/tmp /var/tmp rw")),
                row("104", SHOWCAST, "", twoMounted, show()),
                row("103", SHOWCAST, "-a", s, show(
                        "blocked 104:/data /mnt/data rw",
                        "active 104:/var/tmp /var/tmp rw",
                        "offered 105:/etc/1337 /etc/1337 rw",
                        "accepted 106:/x /x -",
                        "accepted host:/usr/portage /usr/portage ro")),
                row("105", SHOWCAST, "-a", s, show(
                        "offered 103:/srv /srv rw",
                        "active 104:/other /other rw",
                        "offered host:/usr/portage /usr/portage ro")),
                row("103", SHOWCAST, "-a", allBlocked, show("accepted 104:/a /a rw", "blocked 104:/b /b ro")),
                row("103", SHOWCAST, "-a", SharingState.empty(), show()));
    }

    @ParameterizedTest(name = "{0}: {1} \"{2}\"")
    @MethodSource({"casts", "ucasts", "castons", "castoffs", "castblocks", "showcasts"})
    void decidesEachVerbAgainstTheState(String requester, Verb verb, String line, SharingState state, Decision expected) {
        assertThat(decide(requester, verb, line, state)).isEqualTo(expected);
    }

    static Stream<Arguments> consentInEitherOrder() {
        return Stream.of(
                Arguments.of(List.of("104 cast /var/tmp 103", "103 caston 104:/var/tmp")),
                Arguments.of(List.of("103 caston 104:/var/tmp", "104 cast /var/tmp 103")),
                Arguments.of(List.of("104 cast /var/tmp", "103 caston 104:/var/tmp")),
                Arguments.of(List.of("103 caston 104:/var/tmp", "104 cast /var/tmp")),
                Arguments.of(List.of("104 cast /var/tmp 103", "103 caston")),
                Arguments.of(List.of("104 cast --ro /var/tmp 105", "104 cast /var/tmp 103", "103 caston 104:/var/tmp")));
    }

    @ParameterizedTest
    @MethodSource("consentInEitherOrder")
    void mountsWhenOfferAndAcceptanceMeetInEitherOrder(List<String> script) {
        SharingState state = run(SharingState.empty(), script);
        Map<GuestPath, DesiredMounts.Desired> mounts = DESIRED.forReceiver(ct("103"), state, running("103", "104"));
        assertThat(mounts).containsExactly(Map.entry(path("/var/tmp"),
                new DesiredMounts.Desired(path("/var/tmp"), src("104:/var/tmp"), RW)));
    }

    @Test
    void mountsNothingUntilBothSidesConsented() {
        assertThat(DESIRED.forReceiver(ct("103"), run(SharingState.empty(), List.of("104 cast /var/tmp 103")), running("103", "104")))
                .isEmpty();
        assertThat(DESIRED.forReceiver(ct("103"), run(SharingState.empty(), List.of("103 caston 104:/var/tmp")), running("103", "104")))
                .isEmpty();
        assertThat(DESIRED.forReceiver(ct("103"), run(SharingState.empty(),
                List.of("104 cast /var/tmp 103", "103 caston 104:/var/tmp", "104 ucast /var/tmp")), running("103", "104"))).isEmpty();
        assertThat(DESIRED.forReceiver(ct("103"), run(SharingState.empty(),
                List.of("104 cast /var/tmp 103", "103 caston 104:/var/tmp", "103 castoff /var/tmp")), running("103", "104"))).isEmpty();
        assertThat(DESIRED.forReceiver(ct("103"), run(SharingState.empty(),
                List.of("103 castblock", "104 cast /var/tmp 103", "103 caston 104:/var/tmp")), running("103", "104"))).isEmpty();
        assertThat(DESIRED.forReceiver(ct("103"), run(SharingState.empty(),
                List.of("103 castblock", "104 cast /var/tmp 103", "103 caston 104:/var/tmp", "103 castblock -u")), running("103", "104")))
                .containsOnlyKeys(path("/var/tmp"));
    }

    @Test
    void keepsAMountInPlaceThroughBlockAllAndStopsNewOnes() {
        SharingState state = run(state(placed("103", "/var/tmp", "104:/var/tmp", RW)),
                List.of("104 cast /var/tmp 103", "104 cast /etc 103", "103 caston 104:/var/tmp", "103 castblock", "103 caston 104:/etc"));
        assertThat(DESIRED.forReceiver(ct("103"), state, running("103", "104"))).containsOnlyKeys(path("/var/tmp"));
    }

    /** Runs "REQUESTER VERB ARGS" lines through parser and policy, applying each accepted decision. */
    private static SharingState run(SharingState state, List<String> script) {
        for (String step : script) {
            String[] parts = step.split(" ", 3);
            Decision d = decide(parts[0], Verb.parse(parts[1]), parts.length > 2 ? parts[2] : "", state);
            assertThat(d).as(step).isInstanceOf(Decision.Apply.class);
            state = States.apply(state, ((Decision.Apply) d).changes());
        }
        return state;
    }

    @Test
    void publishesAHostFolderUnlessTheTargetIsForbidden() {
        assertThat(POLICY.publish(publication("host:/usr/portage", RO))).isEqualTo(apply(
                List.of(new Change.PutShare(publication("host:/usr/portage", RO))),
                "published host:/usr/portage to every container at /usr/portage (ro)"));
        assertThat(POLICY.publish(offer("host:/opt/x", "103", "/mnt/x", RW))).isEqualTo(apply(
                List.of(new Change.PutShare(offer("host:/opt/x", "103", "/mnt/x", RW))),
                "published host:/opt/x to 103 at /mnt/x (rw)"));
        assertThat(POLICY.publish(offer("host:/opt/x", "103", "/sys/x", RW))).isEqualTo(refuse("target /sys/x is forbidden (/sys)"));
        assertThat(POLICY.publish(publication("host:/boot", RO))).isEqualTo(refuse("target /boot is forbidden (/boot)"));
    }

    /** Every command form, for the property below. */
    private static final List<String> EVERY_COMMAND = List.of(
            "cast /srv", "cast --ro /srv", "cast /srv 103", "cast /srv 104", "cast /srv 105:/mnt", "cast /var/tmp 103",
            "cast /etc/1337 104", "ucast /srv", "ucast /srv 103", "ucast /srv 104", "ucast /var/tmp", "ucast /var/tmp 103",
            "ucast /etc/1337", "caston", "caston 104:/var/tmp", "caston 105:/etc/1337", "caston host:/usr/portage",
            "caston 103:/srv", "castoff", "castoff /var/tmp", "castoff /srv", "castoff 104:/var/tmp", "castoff host:/usr/portage",
            "castoff 103:/srv", "castblock", "castblock /var", "castblock -u", "castblock -u /var", "castblock -u /data",
            "showcast", "showcast -a");

    static Stream<Arguments> requesters() {
        return Stream.of("103", "104", "105", "106").map(Arguments::of);
    }

    @ParameterizedTest
    @MethodSource("requesters")
    void aRequestOnlyEverChangesTheRequestersOwnOffersAcceptancesAndBlocks(String requester) {
        SharingState rich = state(offer("104:/var/tmp", "103", "/var/tmp", RW), offer("104:/var/tmp", "105", "/_external/var/tmp", RW),
                offer("105:/etc/1337", "103", "/etc/1337", RW), publication("104:/srv", RW), publication("103:/srv", RO),
                publication("host:/usr/portage", RO), offer("103:/srv", "104", "/srv", RW),
                accepted("103", "104:/var/tmp"), accepted("105", "104:/var/tmp"), accepted("104", "103:/srv"), accepted("106", "104:/srv"),
                blockAll("105"), block("104", "/var"), block("103", "/data"), blockAll("106"),
                placed("103", "/var/tmp", "104:/var/tmp", RW), placed("105", "/_external/var/tmp", "104:/var/tmp", RW),
                placed("104", "/srv", "103:/srv", RW), placed("106", "/srv", "104:/srv", RW));
        ContainerName me = ct(requester);
        List<Change> all = new ArrayList<>();
        int applied = 0;
        for (String step : EVERY_COMMAND) {
            String[] parts = step.split(" ", 2);
            Command command;
            try {
                command = CommandParser.parse(Verb.parse(parts[0]), parts.length > 1 ? parts[1] : "");
            } catch (IllegalArgumentException e) {
                throw new AssertionError(step, e);
            }
            Decision d = POLICY.decide(me, command, rich);
            if (d instanceof Decision.Apply a) {
                all.addAll(a.changes());
                applied++;
            }
        }
        assertThat(applied).isGreaterThan(5);
        assertThat(all).isNotEmpty().allSatisfy(change -> assertThat(subjectOf(change)).as(change.toString()).isEqualTo(me));
    }

    /** The container whose part of the state a change touches. */
    private static ContainerName subjectOf(Change change) {
        if (change instanceof Change.PutShare p) return ((Owner.Guest) p.share().owner()).container();
        if (change instanceof Change.RemoveShares r) return ((Owner.Guest) r.owner()).container();
        if (change instanceof Change.PutAcceptance p) return p.acceptance().receiver();
        if (change instanceof Change.RemoveAcceptance r) return r.receiver();
        if (change instanceof Change.PutBlock p) return p.block().receiver();
        if (change instanceof Change.RemoveBlock r) return r.block().receiver();
        throw new AssertionError("unknown change " + change);
    }
}
