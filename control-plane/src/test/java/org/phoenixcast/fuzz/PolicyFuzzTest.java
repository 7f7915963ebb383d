package org.phoenixcast.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.phoenixcast.model.Acceptance;
import org.phoenixcast.model.Access;
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
import org.phoenixcast.policy.Decision;
import org.phoenixcast.policy.DesiredMounts;
import org.phoenixcast.policy.ForbiddenPaths;
import org.phoenixcast.policy.SharingPolicy;
import org.phoenixcast.policy.States;
import org.phoenixcast.protocol.Command;
import org.phoenixcast.protocol.CommandParser;
import org.phoenixcast.protocol.Reply;

/**
 * The argument grammar through the consent policy. The fuzzer builds a small sharing state (a few
 * containers; shares, acceptances, blocks, placed mounts and disabled verbs among them, forbidden
 * targets included, as an admin's import could leave them), a forbidden-targets configuration and
 * one request line from a hostile requester. Properties:
 * <ul>
 *   <li>{@link SharingPolicy#decide} never throws, and a refusal is one non-empty line;</li>
 *   <li>every change it asks for names the requester as owner or receiver: a guest changes only
 *       its own offers, acceptances and blocks;</li>
 *   <li>no offer it makes is of a forbidden source or onto a forbidden target;</li>
 *   <li>before and after the change, {@link DesiredMounts#forReceiver} places nothing on a
 *       forbidden target, nothing the receiver did not accept, nothing not offered or published
 *       to it, nothing its blocks cover, and only while receiver and owner run.</li>
 * </ul>
 */
class PolicyFuzzTest {

    @BeforeAll
    static void hookNothingUnlessFuzzing() {
        QuietReplay.hookNothingUnlessFuzzing();
    }
    private static final List<String> NAMES = List.of("103", "104", "105", "web1", "web-2.x");
    private static final List<String> PATHS = List.of("/", "/srv/data", "/srv", "/var/tmp", "/etc/1337",
            "/_external/var/tmp", "/usr/portage", "/proc", "/proc/self/root", "/sys/fs", "/dev", "/dev/sda",
            "/.syscmd", "/.syscmd/caston", "/syscmd", "/syscmd/replies", "/etc", "/etc/shadow", "/mnt/a b");
    private static final List<String> CONFIGURED = List.of("/etc", "/var/lib", "/boot", "/srv/data/private");

    @FuzzTest(maxDuration = "20s")
    void policyChangesOnlyTheRequesterAndNeverMountsOnForbiddenTargets(FuzzedDataProvider data) {
        List<GuestPath> configured = new ArrayList<>();
        for (int i = data.consumeInt(0, 2); i > 0; i--) configured.add(GuestPath.parse(data.pickValue(CONFIGURED)));
        ForbiddenPaths forbidden = new ForbiddenPaths(configured);
        SharingState state = state(data);
        Set<ContainerName> running = new HashSet<>();
        for (String name : NAMES) {
            if (data.consumeBoolean()) running.add(ContainerName.parse(name));
        }
        ContainerName requester = container(data);
        Verb verb = data.pickValue(Verb.values());
        String untrustedLine = line(data);

        requireSafeMounts(forbidden, state, running);
        Command command;
        try {
            command = CommandParser.parse(verb, untrustedLine);
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).isNotBlank().doesNotContain("\n");
            return;
        }
        Decision decision = new SharingPolicy(forbidden).decide(requester, command, state);
        if (decision instanceof Decision.Refuse r) {
            assertThat(r.reason()).isNotBlank().doesNotContain("\n").doesNotContain("\r");
            assertThat(Reply.error(r.reason()).render().split("\n", -1)).hasSize(2);
        } else if (decision instanceof Decision.Show s) {
            assertThat(s.lines()).allSatisfy(l -> assertThat(l).doesNotContain("\n").isNotEqualTo("ok")
                    .doesNotStartWith("error: "));
        } else {
            Decision.Apply apply = (Decision.Apply) decision;
            assertThat(apply.messages()).allSatisfy(m -> assertThat(m).doesNotContain("\n").isNotEqualTo("ok")
                    .doesNotStartWith("error: "));
            for (Change change : apply.changes()) requireOwnedBy(requester, change, forbidden);
            requireSafeMounts(forbidden, States.apply(state, apply.changes()), running);
        }
    }

    private static void requireOwnedBy(ContainerName requester, Change change, ForbiddenPaths forbidden) {
        Owner me = new Owner.Guest(requester);
        if (change instanceof Change.PutShare p) {
            assertThat(p.share().owner()).isEqualTo(me);
            assertThat(p.share().receiver()).isNotEqualTo(Optional.of(requester));
            assertThat(forbidden.forbidding(p.share().source())).as("source of %s", p).isEmpty();
            assertThat(forbidden.forbidding(p.share().target())).as("target of %s", p).isEmpty();
        } else if (change instanceof Change.RemoveShares r) {
            assertThat(r.owner()).isEqualTo(me);
        } else if (change instanceof Change.PutAcceptance p) {
            assertThat(p.acceptance().receiver()).isEqualTo(requester);
            assertThat(p.acceptance().source().owner()).isNotEqualTo(me);
        } else if (change instanceof Change.RemoveAcceptance r) {
            assertThat(r.receiver()).isEqualTo(requester);
        } else if (change instanceof Change.PutBlock p) {
            assertThat(p.block().receiver()).isEqualTo(requester);
        } else if (change instanceof Change.RemoveBlock r) {
            assertThat(r.block().receiver()).isEqualTo(requester);
        }
    }

    private static void requireSafeMounts(ForbiddenPaths forbidden, SharingState state, Set<ContainerName> running) {
        DesiredMounts desired = new DesiredMounts(forbidden);
        for (String name : NAMES) {
            ContainerName receiver = ContainerName.parse(name);
            Map<GuestPath, DesiredMounts.Desired> mounts = desired.forReceiver(receiver, state, running);
            if (!mounts.isEmpty()) {
                assertThat(running).contains(receiver);
                assertThat(state.isEnabled(receiver, Verb.CASTON)).isTrue();
            }
            for (DesiredMounts.Desired d : mounts.values()) {
                assertThat(forbidden.forbidding(d.target())).as("forbidden target of %s in %s", d, receiver).isEmpty();
                Optional<Acceptance> accepted = state.acceptance(receiver, d.source());
                assertThat(accepted).as("acceptance of %s by %s", d, receiver).isPresent();
                Optional<Share> share = state.shareFor(receiver, d.source());
                assertThat(share).as("offer of %s to %s", d, receiver).isPresent();
                assertThat(share.get().target()).isEqualTo(d.target());
                assertThat(share.get().access()).isEqualTo(d.access());
                assertThat(share.get().isVisibleTo(receiver)).isTrue();
                assertThat(d.source().owner()).isNotEqualTo(new Owner.Guest(receiver));
                assertThat(state.isBlocked(accepted.get(), d.target())).isFalse();
                if (d.source().owner() instanceof Owner.Guest g) {
                    assertThat(running).contains(g.container());
                    assertThat(state.isEnabled(g.container(), Verb.CAST)).isTrue();
                }
            }
        }
    }

    /**
     * A state the store can hold. Anything goes (forbidden targets, blocks, placed mounts that no
     * longer match) except what the database or both writers of the state (SharingPolicy and
     * casts.ini) rule out, and DesiredMounts relies on: two shares of one (owner, source,
     * receiver) or two acceptances of one (receiver, source) (primary keys); an offer to the
     * owner itself, an acceptance of one's own folder (a direct offer to oneself, if the
     * database ever held one, would be mounted).
     */
    private static SharingState state(FuzzedDataProvider data) {
        List<Share> shares = new ArrayList<>();
        for (int i = data.consumeInt(0, 6); i > 0; i--) {
            Owner owner = owner(data);
            Optional<ContainerName> receiver = data.consumeBoolean() ? Optional.empty() : Optional.of(container(data));
            GuestPath source = path(data);
            GuestPath target = data.consumeBoolean() ? source : path(data);
            if (receiver.isPresent() && owner.equals(new Owner.Guest(receiver.get()))) continue;
            if (shares.stream().anyMatch(o -> o.owner().equals(owner) && o.source().equals(source)
                    && o.receiver().equals(receiver))) continue;
            shares.add(new Share(owner, source, receiver, target, access(data)));
        }
        List<Acceptance> acceptances = new ArrayList<>();
        for (int i = data.consumeInt(0, 6); i > 0; i--) {
            ContainerName receiver = container(data);
            SourceRef source = new SourceRef(owner(data), path(data));
            boolean survivesBlockAll = data.consumeBoolean();
            if (source.owner().equals(new Owner.Guest(receiver))) continue;
            if (acceptances.stream().anyMatch(o -> o.receiver().equals(receiver) && o.source().equals(source))) continue;
            acceptances.add(new Acceptance(receiver, source, survivesBlockAll));
        }
        List<Block> blocks = new ArrayList<>();
        for (int i = data.consumeInt(0, 3); i > 0; i--) {
            Block block = new Block(container(data), data.consumeBoolean() ? Optional.empty() : Optional.of(path(data)));
            if (!blocks.contains(block)) blocks.add(block);
        }
        List<PlacedMount> placed = new ArrayList<>();
        for (int i = data.consumeInt(0, 3); i > 0; i--) {
            placed.add(new PlacedMount(container(data), path(data), new SourceRef(owner(data), path(data)), access(data),
                    data.consumeLong(), data.consumeInt()));
        }
        Set<DisabledVerb> disabled = new HashSet<>();
        for (int i = data.consumeInt(0, 2); i > 0; i--) {
            disabled.add(new DisabledVerb(container(data), data.pickValue(Verb.values())));
        }
        return new SharingState(shares, acceptances, blocks, placed, disabled);
    }

    /** A request line: up to four words, each a known name, path, source, option, or fuzzed text. */
    private static String line(FuzzedDataProvider data) {
        List<String> words = new ArrayList<>();
        for (int i = data.consumeInt(0, 4); i > 0; i--) {
            words.add(switch (data.consumeInt(0, 5)) {
                case 0 -> data.pickValue(PATHS);
                case 1 -> owner(data).name() + ":" + data.pickValue(PATHS);
                case 2 -> container(data).value();
                case 3 -> container(data).value() + ":" + data.pickValue(PATHS);
                case 4 -> data.pickValue(List.of("--ro", "-u", "-a", "host"));
                default -> data.consumeString(40);
            });
        }
        return String.join(data.consumeBoolean() ? " " : "\t", words);
    }

    private static ContainerName container(FuzzedDataProvider data) {
        return ContainerName.parse(data.pickValue(NAMES));
    }

    private static Owner owner(FuzzedDataProvider data) {
        return data.consumeInt(0, 5) == 0 ? Owner.HOST : new Owner.Guest(container(data));
    }

    private static GuestPath path(FuzzedDataProvider data) {
        return GuestPath.parse(data.pickValue(PATHS));
    }

    private static Access access(FuzzedDataProvider data) {
        return data.consumeBoolean() ? Access.READ_ONLY : Access.READ_WRITE;
    }
}
