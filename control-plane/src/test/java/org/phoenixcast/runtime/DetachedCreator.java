package org.phoenixcast.runtime;

import java.nio.file.Path;
import org.phoenixcast.model.ContainerName;

/**
 * Run in a separate JVM by {@link SandboxesIT}: creates a sandbox and exits at once, the way
 * castctl does, so the test can check that the sandbox outlives its creator.
 */
public final class DetachedCreator {
    private DetachedCreator() {}

    public static void main(String[] args) throws Exception {
        int pid = new Sandboxes(Path.of(args[0])).create(ContainerName.parse(args[1]));
        System.out.println(pid);
    }
}
