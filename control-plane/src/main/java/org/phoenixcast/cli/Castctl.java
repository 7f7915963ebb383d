package org.phoenixcast.cli;

import java.io.IOException;
import java.util.Arrays;
import org.phoenixcast.admin.AdminClient;
import org.phoenixcast.admin.AdminCommands;
import org.phoenixcast.admin.AdminRequest;
import org.phoenixcast.admin.AdminResponse;
import picocli.CommandLine;

/**
 * {@code castctl}: parses the command line locally (help and usage errors need no daemon),
 * then either runs a command's castctl side (import, export, sandbox, demo) or forwards the
 * command line to castd over its root-only Unix socket and relays the answer.
 * Exit codes: 0 done, 1 refused or failed, 2 usage, 3 castd not reachable.
 */
public final class Castctl {
    private Castctl() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        try {
            CommandLine.ParseResult parsed = AdminCommands.commandLine(null).parseArgs(args);
            if (CommandLine.printHelpIfRequested(parsed)) return 0;
            CommandLine.ParseResult leaf = parsed;
            while (leaf.hasSubcommand()) leaf = leaf.subcommand();
            Object command = leaf.commandSpec().userObject();
            AdminCommands.Root root = (AdminCommands.Root) parsed.commandSpec().userObject();
            AdminClient client = new AdminClient(root.stateDir.resolve("castd.sock"));
            if (AdminCommands.runsInCastctl(command)) {
                return AdminCommands.commandLine(new AdminCommands.Context(null, "", client)).execute(args);
            }
            AdminResponse response = client.call(new AdminRequest(Arrays.asList(args), ""));
            System.out.print(response.out());
            System.err.print(response.err());
            return response.exit();
        } catch (CommandLine.ParameterException e) {
            System.err.println("castctl: " + e.getMessage());
            e.getCommandLine().usage(System.err);
            return 2;
        } catch (IOException e) {
            System.err.println("castctl: " + e.getMessage());
            return e instanceof AdminClient.CastdUnreachable ? AdminCommands.UNREACHABLE : 1;
        }
    }
}
