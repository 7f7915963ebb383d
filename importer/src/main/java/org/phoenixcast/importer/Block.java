package org.phoenixcast.importer;

import static org.phoenixcast.importer.CastsSyntax.EVERYONE;
import static org.phoenixcast.importer.CastsSyntax.containerNameProblem;
import static org.phoenixcast.importer.CastsSyntax.pathProblem;
import static org.phoenixcast.importer.CastsSyntax.require;

import java.util.Comparator;

/** {@code receiver} refuses mounts at {@code path} and below it, or everywhere when path is {@value #ALL}. */
public record Block(String receiver, String path) implements Comparable<Block> {
    public static final String ALL = EVERYONE;

    private static final Comparator<Block> ORDER = Comparator.comparing(Block::receiver).thenComparing(Block::path);

    public Block {
        require("receiver", receiver, containerNameProblem(receiver));
        if (!ALL.equals(path)) require("blocked path", path, pathProblem(path));
    }

    public static Block all(String receiver) {
        return new Block(receiver, ALL);
    }

    public boolean isAll() {
        return ALL.equals(path);
    }

    @Override
    public int compareTo(Block o) {
        return ORDER.compare(this, o);
    }
}
