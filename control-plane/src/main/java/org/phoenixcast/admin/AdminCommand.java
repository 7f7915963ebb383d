package org.phoenixcast.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Base of the commands that run inside castd. castctl parses the same classes locally (so
 * usage errors are immediate) and forwards the command line; {@link #plane()} exists only in castd.
 */
abstract class AdminCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandSpec spec;

    private final AdminCommands.Context context;

    AdminCommand(AdminCommands.Context context) {
        this.context = context;
    }

    ControlPlane plane() {
        if (context == null || context.plane() == null) throw new IllegalStateException("runs inside castd only");
        return context.plane();
    }

    /**
     * castd's name for a container the admin named: {@code lxc:web} becomes {@code web} when
     * that is the name bound to LXC's "web"; unknown names stay as written. Inside castd only.
     */
    org.phoenixcast.model.ContainerName resolveName(String text) {
        org.phoenixcast.model.ContainerName name = org.phoenixcast.model.ContainerName.parse(text);
        return plane().db().transaction(tx -> plane().containers().resolve(tx.dsl(), name));
    }

    boolean insideCastd() {
        return context != null && context.plane() != null;
    }

    AdminClient client() {
        if (context == null || context.client() == null) throw new IllegalStateException("runs in castctl only");
        return context.client();
    }

    /** castctl side: sends a command line to castd and relays its answer. */
    int forward(java.util.List<String> args, String input) throws java.io.IOException {
        return relay(client().call(new AdminRequest(args, input)));
    }

    int relay(AdminResponse response) {
        out().print(response.out());
        out().flush();
        spec.commandLine().getErr().print(response.err());
        spec.commandLine().getErr().flush();
        return response.exit();
    }

    String stdin() {
        return context == null ? "" : context.stdin();
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /**
     * Unregisters a container and unmounts its drop and /syscmd tmpfs on the host (lazily: the
     * worker may still hold their fds until its next turn). Shared by {@code container rm} and
     * {@code sandbox rm}, so neither leaves a guest's tmpfs behind.
     *
     * @return false when no container had that name
     */
    boolean forgetContainer(org.phoenixcast.model.ContainerName container) {
        boolean removed = plane().db().transaction(tx -> plane().containers().remove(tx.dsl(), container));
        if (!removed) return false;
        plane().poke();
        java.nio.file.Path guest = plane().stateDir().resolve("guests").resolve(container.value());
        try {
            plane().kernel().removeTmpfs(guest.resolve("drop"));
            plane().kernel().removeTmpfs(guest.resolve("syscmd"));
        } catch (java.io.IOException e) {
            spec.commandLine().getErr().println("castctl: warning: " + e.getMessage());
        }
        return true;
    }

    /** A user error: one line on stderr, exit code 1. */
    int fail(String message) {
        spec.commandLine().getErr().println("castctl: " + message);
        return 1;
    }

    void printJson(Object value) {
        try {
            out().println(AdminServer.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT)
                    .findAndRegisterModules().writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
