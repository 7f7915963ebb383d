package org.phoenixcast.admin;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.phoenixcast.importer.CastsConfig;
import org.phoenixcast.importer.CastsIni;
import org.phoenixcast.policy.Change;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code castctl import FILE} and {@code castctl export [FILE]}. castctl reads and writes the
 * file itself (its own working directory and mount namespace) and castd works on the text.
 */
final class IniCommands {
    private IniCommands() {}

    @Command(name = "import", description = "Replace shares, acceptances, blocks and disabled verbs with a casts.ini.")
    static final class Import extends AdminCommand implements RunsInCastctl {
        @Parameters(paramLabel = "FILE", description = "casts.ini to read ('-' for standard input).") String file;

        Import(AdminCommands.Context c) { super(c); }

        @Override
        public Integer call() throws IOException {
            if (!insideCastd()) {
                String text = file.equals("-") ? new String(System.in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                        : Files.readString(Path.of(file));
                return forward(List.of("import", "-"), text);
            }
            CastsConfig config = CastsIni.read(new StringReader(stdin()));
            java.util.function.UnaryOperator<org.phoenixcast.model.ContainerName> names =
                    n -> plane().db().transaction(tx -> plane().containers().resolve(tx.dsl(), n));
            List<Change> changes = CastsIniMapping.toChanges(config, names);
            var disabled = CastsIniMapping.disabledVerbs(config, names);
            plane().db().transaction(tx -> {
                plane().sharing().clearDesired(tx.dsl());
                plane().sharing().apply(tx.dsl(), changes);
                for (var d : disabled) plane().sharing().setVerbEnabled(tx.dsl(), d.container(), d.verb(), false);
                plane().history().record(tx.dsl(), "host", "import", "casts.ini", "ok",
                        config.offers().size() + " offers, " + config.acceptances().size() + " acceptances, "
                                + config.blocks().size() + " blocks", null);
                return null;
            });
            plane().commandsChanged();
            out().println("imported " + config.offers().size() + " offers, " + config.acceptances().size()
                    + " acceptances, " + config.blocks().size() + " blocks, " + disabled.size() + " disabled verbs");
            return 0;
        }
    }

    @Command(name = "export", description = "Write the current state as casts.ini (to standard output by default).")
    static final class Export extends AdminCommand implements RunsInCastctl {
        @Parameters(arity = "0..1", paramLabel = "FILE") Path file;

        Export(AdminCommands.Context c) { super(c); }

        @Override
        public Integer call() throws IOException {
            if (!insideCastd()) {
                AdminResponse response = client().call(new AdminRequest(List.of("export"), ""));
                if (response.exit() != 0 || file == null) return relay(response);
                Files.writeString(file, response.out());
                out().println("exported to " + file);
                return 0;
            }
            var state = plane().db().transaction(tx -> plane().sharing().read(tx.dsl()));
            Set<String> names = plane().db().transaction(tx -> plane().containers().list(tx.dsl())).stream()
                    .map(r -> r.name().value()).collect(Collectors.toSet());
            StringWriter text = new StringWriter();
            CastsIni.write(CastsIniMapping.fromState(state, names), text);
            out().print(text);
            return 0;
        }
    }
}
