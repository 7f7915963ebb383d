package org.phoenixcast.importer;

import static org.phoenixcast.importer.CastsSyntax.containerNameProblem;
import static org.phoenixcast.importer.CastsSyntax.ownerProblem;
import static org.phoenixcast.importer.CastsSyntax.pathProblem;
import static org.phoenixcast.importer.CastsSyntax.require;

import java.util.Comparator;

/** {@code receiver} consents to mount {@code owner:sourcePath}; it may precede the offer. */
public record Acceptance(String receiver, String owner, String sourcePath) implements Comparable<Acceptance> {
    private static final Comparator<Acceptance> ORDER = Comparator.comparing(Acceptance::receiver)
            .thenComparing(Acceptance::owner)
            .thenComparing(Acceptance::sourcePath);

    public Acceptance {
        require("receiver", receiver, containerNameProblem(receiver));
        require("owner", owner, ownerProblem(owner));
        require("source path", sourcePath, pathProblem(sourcePath));
        if (receiver.equals(owner)) {
            throw new IllegalArgumentException("invalid acceptance: " + receiver + " accepts its own " + sourcePath);
        }
    }

    @Override
    public int compareTo(Acceptance o) {
        return ORDER.compare(this, o);
    }
}
