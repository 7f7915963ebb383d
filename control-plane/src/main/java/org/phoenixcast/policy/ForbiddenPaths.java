package org.phoenixcast.policy;

import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.phoenixcast.model.GuestPath;

/**
 * Paths no share may be mounted on, nor taken from: the root itself, kernel pseudo filesystems,
 * castd's own control directories, and whatever the admin configured. A path is forbidden when
 * it is one of these or lies below one ("/" only exactly).
 *
 * <p>Security: lexical only; it gives the guest a clear early refusal. The mount layer resolves
 * paths without symlinks and refuses pseudo filesystem sources by their filesystem type, which
 * is what stops a symlinked way around this list.
 */
public record ForbiddenPaths(List<GuestPath> configured) {
    public static final List<GuestPath> BUILT_IN = Stream.of("/proc", "/sys", "/dev", "/.syscmd", "/syscmd")
            .map(GuestPath::parse).toList();

    public ForbiddenPaths {
        configured = List.copyOf(configured);
    }

    public static ForbiddenPaths builtIn() {
        return new ForbiddenPaths(List.of());
    }

    /** The rule that forbids {@code path}, if any, e.g. "/proc". */
    public Optional<GuestPath> forbidding(GuestPath path) {
        if (path.isRoot()) return Optional.of(GuestPath.ROOT);
        return Stream.concat(BUILT_IN.stream(), configured.stream()).filter(path::isAtOrBelow).findFirst();
    }
}
