package org.phoenixcast.importer;

import static org.phoenixcast.importer.CastsSyntax.containerNameProblem;
import static org.phoenixcast.importer.CastsSyntax.require;
import static org.phoenixcast.importer.CastsSyntax.verbProblem;

import java.util.Comparator;
import java.util.List;

/**
 * A guest command the admin disabled for {@code container} (the note's missing hard link).
 * {@code verb} is the lower-case command name, one of {@link #VERBS}.
 */
public record DisabledVerb(String container, String verb) implements Comparable<DisabledVerb> {
    /** The six guest commands of the design note, in the note's order. */
    public static final List<String> VERBS = CastsSyntax.VERBS;

    private static final Comparator<DisabledVerb> ORDER = Comparator.comparing(DisabledVerb::container)
            .thenComparing(v -> VERBS.indexOf(v.verb()));

    public DisabledVerb {
        require("container", container, containerNameProblem(container));
        require("verb", verb, verbProblem(verb));
    }

    @Override
    public int compareTo(DisabledVerb o) {
        return ORDER.compare(this, o);
    }
}
