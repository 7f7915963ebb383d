package org.phoenixcast.importer;

import static org.phoenixcast.importer.CastsSyntax.HOST;
import static org.phoenixcast.importer.CastsSyntax.containerNameProblem;
import static org.phoenixcast.importer.CastsSyntax.require;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The whole state casts.ini describes, in canonical form, so that two configs are equal exactly
 * when they describe the same state:
 * <ul>
 *   <li>every list is sorted and free of duplicates (an offer read from {@code _offered} and the
 *       same offer read from its owner's section are one {@link Offer});</li>
 *   <li>a block of everything ({@link Block#ALL}) makes that receiver's path blocks redundant, and
 *       they are dropped: casts.ini cannot write {@code All} and paths together;</li>
 *   <li>{@code containers} holds every section name and every container the config names
 *       anywhere else (host and {@code *} excluded), so a section without entries such as
 *       {@code [106]} survives a round trip, and so does a container that only appears in a list.</li>
 * </ul>
 * Two offers of the same owner, source and receiver that differ in target or access are a
 * conflict, not two offers: the constructor refuses them.
 */
public record CastsConfig(
        List<Offer> offers,
        List<Acceptance> acceptances,
        List<Block> blocks,
        List<DisabledVerb> disabledVerbs,
        Set<String> containers) {

    public CastsConfig {
        offers = canonical(offers, "offers");
        acceptances = canonical(acceptances, "acceptances");
        blocks = withoutRedundantBlocks(canonical(blocks, "blocks"));
        disabledVerbs = canonical(disabledVerbs, "disabledVerbs");
        for (int i = 1; i < offers.size(); i++) {
            Offer previous = offers.get(i - 1);
            Offer current = offers.get(i);
            if (previous.sameShareAs(current)) {
                throw new IllegalArgumentException("conflicting offers of " + current.owner() + ":"
                        + current.sourcePath() + " to " + current.receiver() + ": " + describe(previous)
                        + " and " + describe(current));
            }
        }
        containers = allContainers(containers, offers, acceptances, blocks, disabledVerbs);
    }

    public static CastsConfig empty() {
        return new CastsConfig(List.of(), List.of(), List.of(), List.of(), Set.of());
    }

    private static <T extends Comparable<T>> List<T> canonical(Collection<T> items, String what) {
        if (items == null) throw new IllegalArgumentException(what + " must not be null");
        SortedSet<T> sorted = new TreeSet<>();
        for (T item : items) {
            if (item == null) throw new IllegalArgumentException(what + " must not contain null");
            sorted.add(item);
        }
        return List.copyOf(sorted);
    }

    private static List<Block> withoutRedundantBlocks(List<Block> blocks) {
        Set<String> blockingAll = new TreeSet<>();
        for (Block b : blocks) {
            if (b.isAll()) blockingAll.add(b.receiver());
        }
        return blocks.stream().filter(b -> b.isAll() || !blockingAll.contains(b.receiver())).toList();
    }

    private static Set<String> allContainers(Set<String> given, List<Offer> offers, List<Acceptance> acceptances,
            List<Block> blocks, List<DisabledVerb> disabledVerbs) {
        if (given == null) throw new IllegalArgumentException("containers must not be null");
        SortedSet<String> all = new TreeSet<>();
        for (String name : given) {
            require("container", name, containerNameProblem(name));
            all.add(name);
        }
        for (Offer o : offers) {
            if (!HOST.equals(o.owner())) all.add(o.owner());
            if (!o.isPublished()) all.add(o.receiver());
        }
        for (Acceptance a : acceptances) {
            all.add(a.receiver());
            if (!HOST.equals(a.owner())) all.add(a.owner());
        }
        blocks.forEach(b -> all.add(b.receiver()));
        disabledVerbs.forEach(v -> all.add(v.container()));
        return Collections.unmodifiableSortedSet(all);
    }

    private static String describe(Offer o) {
        return "at " + o.targetPath() + (o.readOnly() ? " read-only" : " read-write");
    }
}
