package org.phoenixcast.model;

import java.util.Optional;

/** A receiver's block: of every new mount (path empty) or of mounts at or below {@code path}. */
public record Block(ContainerName receiver, Optional<GuestPath> path) {

    public boolean isBlockAll() {
        return path.isEmpty();
    }

    /** "*" for block-all, else the path: the database and casts.ini spelling. */
    public String key() {
        return path.map(GuestPath::value).orElse("*");
    }
}
