package org.phoenixcast.importer;

import static org.phoenixcast.importer.CastsSyntax.EVERYONE;
import static org.phoenixcast.importer.CastsSyntax.HOST;
import static org.phoenixcast.importer.CastsSyntax.containerNameProblem;
import static org.phoenixcast.importer.CastsSyntax.ownerProblem;
import static org.phoenixcast.importer.CastsSyntax.pathProblem;
import static org.phoenixcast.importer.CastsSyntax.require;

import java.util.Comparator;

/**
 * {@code owner} shares {@code sourcePath} with {@code receiver}, mounted there at
 * {@code targetPath}. A receiver of {@value #EVERY_CONTAINER} is a publication: every container,
 * at the same path. The owner is a container or {@code host}; the receiver is never the host.
 *
 * <p>casts.ini writes the host's offers to one container as {@code _offered = host:PATH} in the
 * receiver's section (there is no [host] section), so they are at the same path.
 */
public record Offer(String owner, String sourcePath, String receiver, String targetPath, boolean readOnly)
        implements Comparable<Offer> {
    public static final String EVERY_CONTAINER = EVERYONE;

    private static final Comparator<Offer> ORDER = Comparator.comparing(Offer::owner)
            .thenComparing(Offer::sourcePath)
            .thenComparing(Offer::receiver)
            .thenComparing(Offer::targetPath)
            .thenComparing(Offer::readOnly);

    public Offer {
        require("owner", owner, ownerProblem(owner));
        require("source path", sourcePath, pathProblem(sourcePath));
        if (!EVERYONE.equals(receiver)) require("receiver", receiver, containerNameProblem(receiver));
        require("target path", targetPath, pathProblem(targetPath));
        if (owner.equals(receiver)) {
            throw new IllegalArgumentException("invalid offer: " + owner + " offers " + sourcePath + " to itself");
        }
        if ((EVERYONE.equals(receiver) || HOST.equals(owner)) && !targetPath.equals(sourcePath)) {
            throw new IllegalArgumentException("invalid offer of " + owner + ":" + sourcePath + " to " + receiver
                    + " at " + targetPath + ": casts.ini can only express it at the same path");
        }
    }

    /** {@code owner} publishes {@code path} to every container at the same path. */
    public static Offer published(String owner, String path, boolean readOnly) {
        return new Offer(owner, path, EVERYONE, path, readOnly);
    }

    public boolean isPublished() {
        return EVERYONE.equals(receiver);
    }

    /** True when the other offer is about the same share: same owner, source and receiver. */
    boolean sameShareAs(Offer other) {
        return owner.equals(other.owner) && sourcePath.equals(other.sourcePath) && receiver.equals(other.receiver);
    }

    @Override
    public int compareTo(Offer o) {
        return ORDER.compare(this, o);
    }
}
