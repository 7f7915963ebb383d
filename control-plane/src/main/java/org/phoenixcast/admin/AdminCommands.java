package org.phoenixcast.admin;

import java.lang.reflect.Constructor;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The castctl command tree. The same classes run in two places: castctl parses them (usage
 * errors and help are local) and forwards the command line; castd executes them with a
 * {@link ControlPlane}. Exit codes: 0 done, 1 refused or failed (one line on stderr), 2 usage.
 */
public final class AdminCommands {
    /** Exit code when castd cannot be reached. */
    public static final int UNREACHABLE = 3;

    private AdminCommands() {}

    /** What a command can reach: in castd the control plane and input text; in castctl the client. */
    public record Context(ControlPlane plane, String stdin, AdminClient client) {
        public Context(ControlPlane plane, String stdin) {
            this(plane, stdin, null);
        }
    }

    @Command(name = "castctl", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
            version = "phoenix-cast 0.1.0",
            description = "Administer a running castd: containers, host publications, state and history.",
            subcommands = {ContainerCommands.class, ShareCommands.Publish.class, ShareCommands.Unpublish.class,
                    StatusCommands.Status.class, StatusCommands.History.class, IniCommands.Import.class,
                    IniCommands.Export.class, SandboxCommands.class, DemoCommand.class})
    public static final class Root implements Runnable {
        @Option(names = "--state-dir", paramLabel = "DIR", scope = CommandLine.ScopeType.INHERIT,
                description = "castd's state directory (default: ${DEFAULT-VALUE}).", defaultValue = "/var/lib/phoenix-cast")
        public Path stateDir;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getErr());
        }
    }

    /** True for commands whose castctl side does its own work instead of plain forwarding. */
    public static boolean runsInCastctl(Object command) {
        return command instanceof RunsInCastctl;
    }

    public static CommandLine commandLine(Context context) {
        CommandLine cl = new CommandLine(new Root(), new ContextFactory(context));
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("castctl: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return e instanceof AdminClient.CastdUnreachable ? UNREACHABLE : 1;
        });
        return cl;
    }

    /** Builds commands with the context when they take one. */
    private record ContextFactory(Context context) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> type) throws Exception {
            for (Constructor<?> c : type.getDeclaredConstructors()) {
                if (c.getParameterCount() == 1 && c.getParameterTypes()[0] == Context.class) {
                    c.setAccessible(true);
                    return type.cast(c.newInstance(context));
                }
            }
            return CommandLine.defaultFactory().create(type);
        }
    }
}
