package org.phoenixcast.policy;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.Acceptance;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.Owner;
import org.phoenixcast.model.Share;
import org.phoenixcast.model.SharingState;
import org.phoenixcast.model.SourceRef;
import org.phoenixcast.model.Verb;

/**
 * Computes which shares must be mounted in a receiver. Pure. A share is mounted exactly when:
 * the owner offers or publishes it to the receiver, the receiver accepted it, no block of the
 * receiver covers the target, both containers run (the host always does), the owner's
 * {@code cast} and the receiver's {@code caston} are enabled, and the target is not forbidden.
 * When two accepted shares want the same target, the first by source wins; the other waits.
 */
public final class DesiredMounts {
    private final ForbiddenPaths forbidden;

    public DesiredMounts(ForbiddenPaths forbidden) {
        this.forbidden = forbidden;
    }

    /** One desired mount. */
    public record Desired(GuestPath target, SourceRef source, Access access) {}

    /** Target → desired mount for {@code receiver}, ordered parents first. Empty if the receiver is not running. */
    public Map<GuestPath, Desired> forReceiver(ContainerName receiver, SharingState state, Set<ContainerName> running) {
        Map<GuestPath, Desired> result = new LinkedHashMap<>();
        if (!running.contains(receiver) || !state.isEnabled(receiver, Verb.CASTON)) return result;
        List<Acceptance> accepted = state.acceptancesOf(receiver).stream()
                .sorted(Comparator.comparing(a -> a.source().toString())).toList();
        for (Acceptance a : accepted) {
            Optional<Share> share = state.shareFor(receiver, a.source());
            if (share.isEmpty() || !ownerAvailable(share.get().owner(), state, running)) continue;
            GuestPath target = share.get().target();
            if (forbidden.forbidding(target).isPresent() || state.isBlocked(a, target)) continue;
            result.putIfAbsent(target, new Desired(target, a.source(), share.get().access()));
        }
        Map<GuestPath, Desired> ordered = new LinkedHashMap<>();
        result.keySet().stream().sorted(Comparator.comparingInt((GuestPath p) -> p.components().size())
                .thenComparing(Comparator.naturalOrder())).forEach(t -> ordered.put(t, result.get(t)));
        return ordered;
    }

    private static boolean ownerAvailable(Owner owner, SharingState state, Set<ContainerName> running) {
        if (owner instanceof Owner.Guest g) {
            return running.contains(g.container()) && state.isEnabled(g.container(), Verb.CAST);
        }
        return true;
    }
}
