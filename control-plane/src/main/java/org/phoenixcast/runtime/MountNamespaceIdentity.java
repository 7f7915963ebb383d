package org.phoenixcast.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The identity of a process's mount namespace ("mnt:[4026531841]"), read from the host's /proc.
 *
 * <p>Security: a registration names a PID (directly or through a PID file). A stale PID file
 * whose PID was reused by a host process would make castd treat the host itself as a guest
 * (mounting /.syscmd and shares into the host's namespace); one reused by another container's
 * process would hand that container this one's drop directory. castd therefore refuses a
 * process in its own mount namespace, and one whose namespace another live container already has.
 * The caller must confirm the process is still the one it pinned (pidfd alive) after reading.
 */
public final class MountNamespaceIdentity {
    private MountNamespaceIdentity() {}

    /** The mount namespace of {@code pid}, or empty if the process is gone. */
    public static Optional<String> of(int pid) {
        try {
            return Optional.of(Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "ns", "mnt")).toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** castd's own (the host's) mount namespace. */
    public static String host() {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/ns/mnt", e);
        }
    }
}
