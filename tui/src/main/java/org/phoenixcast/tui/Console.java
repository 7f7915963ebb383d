package org.phoenixcast.tui;

import java.io.PrintStream;

/**
 * The phoenix-cast admin console (Lanterna). Not implemented yet: it gets its own issue. Until
 * then it says so on stderr and exits with {@link #NOT_IMPLEMENTED}, so that scripts and
 * packaging can already call it and tell "missing feature" from success.
 */
public final class Console {
    /** The usage-error code of the other commands (2): nothing was done. */
    public static final int NOT_IMPLEMENTED = 2;
    public static final String NOT_IMPLEMENTED_MESSAGE =
            "phoenix-cast console: not implemented yet; use castctl (castctl --help)";

    private Console() {}

    /** Does the console's work with {@code args}, writing to {@code err}; returns the exit code. */
    static int run(String[] args, PrintStream err) {
        err.println(NOT_IMPLEMENTED_MESSAGE);
        return NOT_IMPLEMENTED;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.err));
    }
}
