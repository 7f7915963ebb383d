package org.phoenixcast.runtime;

import java.nio.file.Path;
import java.util.OptionalInt;
import org.phoenixcast.model.ContainerName;

/** A sandbox as {@link Sandboxes#list()} found it: its root directory and, if running, its init's host PID. */
public record SandboxInfo(ContainerName name, Path root, OptionalInt pid) {
    public SandboxInfo {
        if (name == null || root == null || pid == null) {
            throw new IllegalArgumentException("name, root and pid must be given (pid may be empty)");
        }
    }

    public boolean running() {
        return pid.isPresent();
    }
}
