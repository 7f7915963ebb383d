package org.phoenixcast.it.support;

import org.phoenixcast.mount.MountInfo;
import org.phoenixcast.mount.MountTable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The host's mount table (this JVM's /proc/self/mountinfo: the host mount namespace) as a set of
 * "mount-point root fstype source" entries, to prove that a refused request changed nothing on
 * the host. Mount ids are left out on purpose: the comparison is about what is mounted where.
 *
 * <p>Other test runs on the same machine create and remove mounts beneath their own temporary
 * directories; {@link #changesSince} ignores those under /tmp that are not beneath one of the
 * directories this test owns, and reports every other change except those of other processes'
 * own areas: the default runtime directory /run/phoenix-cast (where control-plane ITs stage the
 * read-only lock; a test castd keeps its under its state directory in /tmp), and Podman's and
 * Docker's storage (runtime fixtures of other runs).
 */
public record HostMounts(Set<String> entries) {

    public static HostMounts snapshot() {
        try {
            Set<String> entries = new LinkedHashSet<>();
            for (MountInfo m : MountTable.parse(Files.readAllBytes(Path.of("/proc/self/mountinfo")))) {
                entries.add(m.mountPoint() + " root=" + m.root() + " " + m.fsType() + " " + m.source());
            }
            return new HostMounts(entries);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Entries added ("+ …") or removed ("- …") since {@code before}, except those of other test
     * runs: beneath /tmp but not beneath any of {@code ours}.
     */
    public List<String> changesSince(HostMounts before, Path... ours) {
        List<String> changes = new ArrayList<>();
        for (String e : entries) if (!before.entries.contains(e) && relevant(e, ours)) changes.add("+ " + e);
        for (String e : before.entries) if (!entries.contains(e) && relevant(e, ours)) changes.add("- " + e);
        return changes;
    }

    /** Where other processes' test runs mount and unmount on their own. */
    private static final List<Path> OTHERS = List.of(Path.of("/run/phoenix-cast"), Path.of("/var/lib/containers"),
            Path.of("/var/lib/docker"), Path.of("/run/containers"), Path.of("/run/docker"));

    private static boolean relevant(String entry, Path... ours) {
        Path mountPoint = Path.of(entry.substring(0, entry.indexOf(" root=")));
        for (Path p : ours) if (mountPoint.startsWith(p)) return true;
        for (Path other : OTHERS) if (mountPoint.startsWith(other)) return false;
        if (!mountPoint.startsWith("/tmp")) return true;
        for (Path p : ours) if (mountPoint.startsWith(p)) return true;
        return false;
    }
}
