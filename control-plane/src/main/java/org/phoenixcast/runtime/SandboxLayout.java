package org.phoenixcast.runtime;

import java.nio.file.Path;
import org.phoenixcast.model.ContainerName;

/**
 * Where one sandbox lives under the state directory: {@code STATE/sandboxes/NAME/} holds the
 * host-only files (pid, console.log) and {@code root/}, the directory the sandbox sees as "/".
 * Everything above {@code root/} is invisible to the guest; everything inside it is the guest's
 * to change once it has run.
 */
record SandboxLayout(ContainerName name, Path dir) {
    static final String SANDBOXES = "sandboxes";

    static SandboxLayout of(Path stateDir, ContainerName name) {
        return new SandboxLayout(name, stateDir.resolve(SANDBOXES).resolve(name.value()));
    }

    Path root() {
        return dir.resolve("root");
    }

    /** The init's host PID, written by the init itself (via pid.tmp and a rename) once it is fully set up. */
    Path pidFile() {
        return dir.resolve("pid");
    }

    Path console() {
        return dir.resolve("console.log");
    }
}
