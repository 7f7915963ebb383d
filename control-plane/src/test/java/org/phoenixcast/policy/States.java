package org.phoenixcast.policy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.Acceptance;
import org.phoenixcast.model.Block;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.DisabledVerb;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.PlacedMount;
import org.phoenixcast.model.Share;
import org.phoenixcast.model.SharingState;
import org.phoenixcast.model.SourceRef;
import org.phoenixcast.model.Verb;

/** Terse builders of sharing states for policy tables, and the store's semantics of a Change, in memory. */
public final class States {
    static final Access RO = Access.READ_ONLY;
    static final Access RW = Access.READ_WRITE;

    private States() {}

    static ContainerName ct(String name) {
        return ContainerName.parse(name);
    }

    static GuestPath path(String path) {
        return GuestPath.parse(path);
    }

    static SourceRef src(String ref) {
        return SourceRef.parse(ref);
    }

    static Share offer(String source, String receiver, String target, Access access) {
        SourceRef s = src(source);
        return new Share(s.owner(), s.path(), Optional.of(ct(receiver)), path(target), access);
    }

    static Share publication(String source, Access access) {
        SourceRef s = src(source);
        return new Share(s.owner(), s.path(), Optional.empty(), s.path(), access);
    }

    static Acceptance accepted(String receiver, String source) {
        return new Acceptance(ct(receiver), src(source), false);
    }

    static Acceptance acceptedSurvivingBlockAll(String receiver, String source) {
        return new Acceptance(ct(receiver), src(source), true);
    }

    static Block blockAll(String receiver) {
        return new Block(ct(receiver), Optional.empty());
    }

    static Block block(String receiver, String target) {
        return new Block(ct(receiver), Optional.of(path(target)));
    }

    static PlacedMount placed(String receiver, String target, String source, Access access) {
        return new PlacedMount(ct(receiver), path(target), src(source), access, 1000 + target.length(), 4242);
    }

    static DisabledVerb disabled(String container, Verb verb) {
        return new DisabledVerb(ct(container), verb);
    }

    static Set<ContainerName> running(String... names) {
        Set<ContainerName> result = new HashSet<>();
        for (String n : names) result.add(ct(n));
        return result;
    }

    /** A state of the given shares, acceptances, blocks, placed mounts and disabled verbs, in the order given. */
    static SharingState state(Object... items) {
        List<Share> shares = new ArrayList<>();
        List<Acceptance> acceptances = new ArrayList<>();
        List<Block> blocks = new ArrayList<>();
        List<PlacedMount> placed = new ArrayList<>();
        Set<DisabledVerb> disabled = new HashSet<>();
        for (Object item : items) {
            if (item instanceof Share s) shares.add(s);
            else if (item instanceof Acceptance a) acceptances.add(a);
            else if (item instanceof Block b) blocks.add(b);
            else if (item instanceof PlacedMount p) placed.add(p);
            else if (item instanceof DisabledVerb d) disabled.add(d);
            else throw new IllegalArgumentException("not a state item: " + item);
        }
        return new SharingState(shares, acceptances, blocks, placed, disabled);
    }

    /** Applies changes as SharingStore does: puts replace by key, removes match by key, a duplicate block is ignored. */
    public static SharingState apply(SharingState state, List<Change> changes) {
        List<Share> shares = new ArrayList<>(state.shares());
        List<Acceptance> acceptances = new ArrayList<>(state.acceptances());
        List<Block> blocks = new ArrayList<>(state.blocks());
        for (Change change : changes) {
            if (change instanceof Change.PutShare p) {
                Share s = p.share();
                shares.removeIf(x -> x.owner().equals(s.owner()) && x.source().equals(s.source())
                        && x.receiver().equals(s.receiver()));
                shares.add(s);
            } else if (change instanceof Change.RemoveShares r) {
                shares.removeIf(x -> x.owner().equals(r.owner()) && x.source().equals(r.source())
                        && (r.receiver().isEmpty() || x.receiver().equals(r.receiver())));
            } else if (change instanceof Change.PutAcceptance p) {
                Acceptance a = p.acceptance();
                acceptances.removeIf(x -> x.receiver().equals(a.receiver()) && x.source().equals(a.source()));
                acceptances.add(a);
            } else if (change instanceof Change.RemoveAcceptance r) {
                acceptances.removeIf(x -> x.receiver().equals(r.receiver()) && x.source().equals(r.source()));
            } else if (change instanceof Change.PutBlock p) {
                if (!blocks.contains(p.block())) blocks.add(p.block());
            } else if (change instanceof Change.RemoveBlock r) {
                blocks.remove(r.block());
            }
        }
        return new SharingState(shares, acceptances, blocks, state.placed(), state.disabledVerbs());
    }
}
