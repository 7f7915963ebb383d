package org.phoenixcast.policy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.phoenixcast.model.Acceptance;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.PlacedMount;
import org.phoenixcast.model.Share;
import org.phoenixcast.model.SharingState;
import org.phoenixcast.model.SourceRef;

/**
 * What a guest sees of the sharing state: the lines of {@code showcast} and {@code showcast -a},
 * which are also the guest's /syscmd/status file. Pure.
 */
public final class ShareView {
    private ShareView() {}

    /** One line per active mount: {@code SOURCE TARGET ro|rw}, sorted by target. */
    public static List<String> active(ContainerName me, SharingState state) {
        return state.placedIn(me).stream()
                .sorted(Comparator.comparing(PlacedMount::target))
                .map(p -> p.source() + " " + p.target() + " " + p.access().label())
                .toList();
    }

    /**
     * One line per share I can see: {@code STATE SOURCE TARGET ro|rw}. STATE is active (mounted),
     * blocked (a block of mine covers it), offered (not accepted by me), or accepted (I accepted;
     * waiting for the owner to offer it or to run). An acceptance with no offer shows the source
     * path as target and the access as "-".
     */
    public static List<String> all(ContainerName me, SharingState state) {
        List<String> lines = new ArrayList<>();
        Set<SourceRef> seen = new LinkedHashSet<>();
        for (Share share : state.sharesVisibleTo(me)) {
            seen.add(share.sourceRef());
            lines.add(stateOf(me, share, state) + " " + share.sourceRef() + " " + share.target() + " " + share.access().label());
        }
        for (Acceptance a : state.acceptancesOf(me)) {
            if (seen.add(a.source())) lines.add("accepted " + a.source() + " " + a.source().path() + " -");
        }
        lines.sort(Comparator.comparing((String l) -> l.substring(l.indexOf(' ') + 1)));
        return lines;
    }

    private static String stateOf(ContainerName me, Share share, SharingState state) {
        boolean placed = state.placedIn(me).stream()
                .anyMatch(p -> p.source().equals(share.sourceRef()) && p.target().equals(share.target()));
        if (placed) return "active";
        Optional<Acceptance> accepted = state.acceptance(me, share.sourceRef());
        if (accepted.isEmpty()) return "offered";
        if (state.isBlocked(accepted.get(), share.target())) return "blocked";
        return "accepted";
    }
}
