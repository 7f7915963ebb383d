package org.phoenixcast.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.phoenixcast.admin.AdminClient;
import org.phoenixcast.admin.AdminRequest;
import org.phoenixcast.admin.AdminResponse;

/**
 * castd's admin socket called from the test JVM: the same request castctl forwards, without
 * starting a castctl JVM (a second or more on a loaded machine). For set-up and clean-up steps
 * only; what a test asserts about castctl goes through {@link CastdProcess#castctl}.
 */
public final class AdminSocket {
    private AdminSocket() {}

    /** Runs {@code args} in castd (a command castd itself executes, e.g. container add, import -) and fails unless it exits 0. */
    public static String callOk(CastdProcess castd, String stdin, String... args) {
        AdminResponse r;
        try {
            r = new AdminClient(castd.stateDir().resolve("castd.sock")).call(new AdminRequest(List.of(args), stdin));
        } catch (IOException e) {
            throw new UncheckedIOException("admin call " + String.join(" ", args) + " failed", e);
        }
        if (r.exit() != 0) {
            throw new AssertionError("admin call " + String.join(" ", args) + " exited " + r.exit() + ": " + r.err()
                    + "\ncastd log:\n" + castd.log());
        }
        return r.out();
    }
}
