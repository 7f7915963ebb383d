package org.phoenixcast.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.phoenixcast.model.Acceptance;
import org.phoenixcast.model.Block;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.Owner;
import org.phoenixcast.model.PlacedMount;
import org.phoenixcast.model.Share;
import org.phoenixcast.model.SharingState;
import org.phoenixcast.model.SourceRef;
import org.phoenixcast.protocol.Command;

/**
 * The consent policy: decides one guest request against the current state. Pure (no I/O, no
 * clock), so it is tested as tables. Whether a share ends up mounted is not decided here but by
 * {@link DesiredMounts}: a share is mounted exactly when the owner offers it, the receiver
 * accepted it, no block covers it, both run, the verbs are enabled and the target is allowed.
 *
 * <p>Security: the requester is the container whose drop directory the request appeared in;
 * a request can only change that container's own offers, acceptances and blocks.
 */
public final class SharingPolicy {
    private final ForbiddenPaths forbidden;

    public SharingPolicy(ForbiddenPaths forbidden) {
        this.forbidden = forbidden;
    }

    public Decision decide(ContainerName requester, Command command, SharingState state) {
        if (command instanceof Command.Cast c) return cast(requester, c);
        if (command instanceof Command.Ucast u) return ucast(requester, u, state);
        if (command instanceof Command.Caston c) return caston(requester, c, state);
        if (command instanceof Command.Castoff c) return castoff(requester, c, state);
        if (command instanceof Command.Castblock b) return castblock(requester, b, state);
        Command.Showcast s = (Command.Showcast) command;
        return new Decision.Show(s.all() ? ShareView.all(requester, state) : ShareView.active(requester, state));
    }

    /** The admin's {@code castctl publish}: the host offers or publishes a host folder. */
    public Decision publish(Share hostShare) {
        Optional<Decision> refusal = refuseTarget(hostShare.target());
        return refusal.orElseGet(() -> new Decision.Apply(List.of(new Change.PutShare(hostShare)),
                List.of("published host:" + hostShare.source() + " to " + hostShare.receiverLabel()
                        + " at " + hostShare.target() + " (" + hostShare.access().label() + ")")));
    }

    private Decision cast(ContainerName requester, Command.Cast c) {
        Optional<GuestPath> badSource = forbidden.forbidding(c.dir());
        if (badSource.isPresent()) {
            return new Decision.Refuse("cannot share " + c.dir() + ": " + badSource.get() + " is not shareable");
        }
        if (c.receiver().equals(Optional.of(requester))) {
            return new Decision.Refuse("cannot offer " + c.dir() + " to yourself");
        }
        GuestPath target = c.target().orElse(c.dir());
        Optional<Decision> refusal = refuseTarget(target);
        if (refusal.isPresent()) return refusal.get();
        Share share = new Share(new Owner.Guest(requester), c.dir(), c.receiver(), target, c.access());
        String verb = share.isPublication() ? "published " : "offered ";
        return new Decision.Apply(List.of(new Change.PutShare(share)),
                List.of(verb + c.dir() + " to " + share.receiverLabel() + " at " + target + " (" + c.access().label() + ")"));
    }

    private Decision ucast(ContainerName requester, Command.Ucast u, SharingState state) {
        Owner me = new Owner.Guest(requester);
        List<Share> matching = state.shares().stream()
                .filter(s -> s.owner().equals(me) && s.source().equals(u.dir()))
                .filter(s -> u.receiver().isEmpty() || s.receiver().equals(u.receiver()))
                .toList();
        if (matching.isEmpty()) {
            return new Decision.Refuse("you have not offered " + u.dir()
                    + u.receiver().map(r -> " to " + r).orElse(""));
        }
        List<String> messages = matching.stream().map(s -> "withdrew " + u.dir() + " from " + s.receiverLabel()).toList();
        return new Decision.Apply(List.of(new Change.RemoveShares(me, u.dir(), u.receiver())), messages);
    }

    private Decision caston(ContainerName requester, Command.Caston c, SharingState state) {
        if (c.source().isEmpty()) {
            List<Change> changes = new ArrayList<>();
            List<String> messages = new ArrayList<>();
            for (Share share : state.sharesVisibleTo(requester)) {
                if (state.acceptance(requester, share.sourceRef()).isEmpty()) {
                    changes.add(new Change.PutAcceptance(new Acceptance(requester, share.sourceRef(), false)));
                    messages.add("accepted " + share.sourceRef() + " at " + share.target() + " (" + share.access().label() + ")");
                }
            }
            if (changes.isEmpty()) messages.add("nothing new is offered to you");
            return new Decision.Apply(changes, messages);
        }
        SourceRef source = c.source().get();
        if (source.owner() instanceof Owner.Guest g && g.container().equals(requester)) {
            return new Decision.Refuse("cannot accept your own folder " + source);
        }
        Optional<Share> share = state.shareFor(requester, source);
        Acceptance acceptance = state.acceptance(requester, source).orElse(new Acceptance(requester, source, false));
        String message = share
                .map(s -> "accepted " + source + " at " + s.target() + " (" + s.access().label() + ")"
                        + (state.isBlocked(acceptance, s.target()) ? "; not mounted while your castblock covers "
                        + s.target() : ""))
                .orElse("accepted " + source + "; it is not offered to you yet and mounts when "
                        + source.owner() + " offers it");
        if (state.acceptance(requester, source).isPresent()) {
            return new Decision.Apply(List.of(), List.of("already " + message));
        }
        return new Decision.Apply(List.of(new Change.PutAcceptance(new Acceptance(requester, source, false))),
                List.of(message));
    }

    private Decision castoff(ContainerName requester, Command.Castoff c, SharingState state) {
        List<SourceRef> sources;
        Decision whenNothing;
        if (c.selector() instanceof Command.Selector.BySource s) {
            sources = state.acceptance(requester, s.source()).map(a -> List.of(a.source())).orElse(List.of());
            whenNothing = new Decision.Refuse("you have not accepted " + s.source());
        } else if (c.selector() instanceof Command.Selector.ByTarget t) {
            sources = sourcesAt(requester, t.target(), state);
            whenNothing = new Decision.Refuse("nothing is mounted or accepted at " + t.target());
        } else {
            sources = state.acceptancesOf(requester).stream().map(Acceptance::source).toList();
            whenNothing = new Decision.Apply(List.of(), List.of("nothing was accepted"));
        }
        if (sources.isEmpty()) return whenNothing;
        List<Change> changes = sources.stream()
                .map(s -> (Change) new Change.RemoveAcceptance(requester, s)).toList();
        List<String> messages = sources.stream().map(s -> "dropped " + s).toList();
        return new Decision.Apply(changes, messages);
    }

    /** Accepted sources whose mount (placed or desired) is at {@code target}. */
    private static List<SourceRef> sourcesAt(ContainerName requester, GuestPath target, SharingState state) {
        List<SourceRef> result = new ArrayList<>();
        for (PlacedMount p : state.placedIn(requester)) {
            if (p.target().equals(target)) result.add(p.source());
        }
        for (Acceptance a : state.acceptancesOf(requester)) {
            GuestPath t = state.shareFor(requester, a.source()).map(Share::target).orElse(a.source().path());
            if (t.equals(target) && !result.contains(a.source())) result.add(a.source());
        }
        return result;
    }

    private Decision castblock(ContainerName requester, Command.Castblock b, SharingState state) {
        Block block = new Block(requester, b.path());
        boolean exists = state.blocksOf(requester).contains(block);
        String what = b.path().map(p -> "mounts at " + p).orElse("every new mount");
        if (b.lift()) {
            if (!exists) return new Decision.Refuse("no block of " + what + " to lift");
            List<Change> changes = new ArrayList<>(List.of(new Change.RemoveBlock(block)));
            if (block.isBlockAll()) {
                for (Acceptance a : state.acceptancesOf(requester)) {
                    if (a.survivesBlockAll()) changes.add(new Change.PutAcceptance(new Acceptance(requester, a.source(), false)));
                }
            }
            return new Decision.Apply(changes, List.of("lifted the block of " + what));
        }
        if (exists) return new Decision.Apply(List.of(), List.of("already blocking " + what));
        List<Change> changes = new ArrayList<>(List.of(new Change.PutBlock(block)));
        if (block.isBlockAll()) {
            // "castblock" blocks every mount not already in place: mark those in place to survive it.
            for (PlacedMount p : state.placedIn(requester)) {
                state.acceptance(requester, p.source()).ifPresent(a ->
                        changes.add(new Change.PutAcceptance(new Acceptance(requester, a.source(), true))));
            }
        }
        return new Decision.Apply(changes, List.of("blocking " + what));
    }

    private Optional<Decision> refuseTarget(GuestPath target) {
        return forbidden.forbidding(target).map(rule -> new Decision.Refuse(
                "target " + target + " is forbidden (" + rule + ")"));
    }
}
