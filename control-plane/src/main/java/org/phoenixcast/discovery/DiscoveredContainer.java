package org.phoenixcast.discovery;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * One running container as its runtime reports it: the runtime's id ("lxc"), the runtime's own
 * name for it ("web", "104"), the host PID of its init and, where the runtime records it, the
 * init's /proc/PID/stat starttime (then a PID reused between listing and opening is refused).
 *
 * <p>Security: every field comes from the runtime's host-side state (its state directory, API or
 * CLI run on the host), never from inside the guest. A guest can change its hostname, argv or
 * files; none of those may feed a name or a PID here.
 */
public record DiscoveredContainer(String runtime, String name, int pid, OptionalLong startTime) {
    public DiscoveredContainer {
        Objects.requireNonNull(runtime, "runtime");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(startTime, "startTime");
        if (pid <= 1) throw new IllegalArgumentException("invalid init PID " + pid + " for " + runtime + ":" + name);
    }

    public DiscoveredContainer(String runtime, String name, int pid) {
        this(runtime, name, pid, OptionalLong.empty());
    }

    /** The qualified form, {@code runtime:name}. */
    public String qualifiedName() {
        return runtime + ":" + name;
    }
}
