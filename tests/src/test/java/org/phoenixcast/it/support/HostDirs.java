package org.phoenixcast.it.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** Directories on the host side, read by trusted test code (never through a guest's symlinks). */
public final class HostDirs {
    private HostDirs() {}

    /** The file names in {@code dir} (not recursive), sorted: to compare a directory before and after an attack. */
    public static SortedSet<String> names(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
