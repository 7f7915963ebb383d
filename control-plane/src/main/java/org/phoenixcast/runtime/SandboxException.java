package org.phoenixcast.runtime;

import java.io.IOException;
import org.phoenixcast.model.ContainerName;

/**
 * A sandbox operation that failed on the host: the message names the sandbox and what failed,
 * including the stderr of a failed helper command.
 */
public class SandboxException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient ContainerName sandbox;

    public SandboxException(ContainerName sandbox, String what) {
        super("sandbox " + sandbox + ": " + what);
        this.sandbox = sandbox;
    }

    public SandboxException(ContainerName sandbox, String what, Throwable cause) {
        super("sandbox " + sandbox + ": " + what + describe(cause), cause);
        this.sandbox = sandbox;
    }

    public ContainerName sandbox() {
        return sandbox;
    }

    private static String describe(Throwable cause) {
        return cause == null ? "" : ": " + cause;
    }
}
