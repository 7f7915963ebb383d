package org.phoenixcast.model;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A consistent snapshot of the desired sharing state and the mounts in place, read in one
 * transaction. Immutable; the policy and desired-mount computation are pure functions of it.
 */
public record SharingState(List<Share> shares, List<Acceptance> acceptances, List<Block> blocks,
                           List<PlacedMount> placed, Set<DisabledVerb> disabledVerbs) {

    public SharingState {
        shares = List.copyOf(shares);
        acceptances = List.copyOf(acceptances);
        blocks = List.copyOf(blocks);
        placed = List.copyOf(placed);
        disabledVerbs = Set.copyOf(disabledVerbs);
    }

    public static SharingState empty() {
        return new SharingState(List.of(), List.of(), List.of(), List.of(), Set.of());
    }

    public boolean isEnabled(ContainerName container, Verb verb) {
        return !disabledVerbs.contains(new DisabledVerb(container, verb));
    }

    /** The share of {@code source} meant for {@code receiver}: a direct offer wins over a publication. */
    public Optional<Share> shareFor(ContainerName receiver, SourceRef source) {
        Optional<Share> direct = shares.stream()
                .filter(s -> s.sourceRef().equals(source) && s.receiver().equals(Optional.of(receiver)))
                .findFirst();
        if (direct.isPresent()) return direct;
        return shares.stream()
                .filter(s -> s.sourceRef().equals(source) && s.isPublication() && s.isVisibleTo(receiver))
                .findFirst();
    }

    public List<Share> sharesVisibleTo(ContainerName receiver) {
        return shares.stream()
                .filter(s -> s.isVisibleTo(receiver))
                .map(Share::sourceRef)
                .distinct()
                .map(src -> shareFor(receiver, src).orElseThrow())
                .toList();
    }

    public List<Acceptance> acceptancesOf(ContainerName receiver) {
        return acceptances.stream().filter(a -> a.receiver().equals(receiver)).toList();
    }

    public Optional<Acceptance> acceptance(ContainerName receiver, SourceRef source) {
        return acceptances.stream().filter(a -> a.receiver().equals(receiver) && a.source().equals(source)).findFirst();
    }

    public List<Block> blocksOf(ContainerName receiver) {
        return blocks.stream().filter(b -> b.receiver().equals(receiver)).toList();
    }

    public List<PlacedMount> placedIn(ContainerName receiver) {
        return placed.stream().filter(p -> p.receiver().equals(receiver)).toList();
    }

    /** True when a block of the receiver keeps {@code acceptance} from being mounted at {@code target}. */
    public boolean isBlocked(Acceptance acceptance, GuestPath target) {
        for (Block b : blocksOf(acceptance.receiver())) {
            if (b.isBlockAll() ? !acceptance.survivesBlockAll() : target.isAtOrBelow(b.path().orElseThrow())) {
                return true;
            }
        }
        return false;
    }
}
