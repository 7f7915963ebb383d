package org.phoenixcast.admin;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.SharingState;
import org.phoenixcast.model.Verb;
import org.phoenixcast.mount.ContainerHandle;
import org.phoenixcast.runtime.MountNamespaceIdentity;
import org.phoenixcast.store.ContainerStore;
import org.phoenixcast.store.ContainerStore.Registration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code castctl container add|rm|list|enable|disable}. */
@Command(name = "container", description = "Register and configure containers.",
        subcommands = {ContainerCommands.Add.class, ContainerCommands.Remove.class, ContainerCommands.ListAll.class,
                ContainerCommands.Enable.class, ContainerCommands.Disable.class})
final class ContainerCommands implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    @Command(name = "add", description = "Register a running container by its init's host PID (any runtime).")
    static final class Add extends AdminCommand {
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @CommandLine.ArgGroup(multiplicity = "1") Source source;

        static final class Source {
            @Option(names = "--pid", required = true, description = "Host PID of the container's init.") Integer pid;
            @Option(names = "--pidfile", required = true, description = "File holding that PID, re-read to follow restarts.") Path pidFile;
        }

        Add(AdminCommands.Context c) { super(c); }

        @Override
        public Integer call() throws IOException {
            ContainerName container = ContainerName.parse(name);
            if (container.runtime().isPresent()) {
                return fail("register containers under a plain name, not " + container
                        + " (runtimes' containers are found without registration)");
            }
            Optional<Long> start = Optional.empty();
            if (source.pid != null) {
                try (ContainerHandle h = plane().kernel().open(source.pid)) {
                    start = Optional.of(h.startTime());
                    if (MountNamespaceIdentity.of(source.pid).equals(Optional.of(MountNamespaceIdentity.host()))) {
                        return fail("PID " + source.pid + " runs in the host's mount namespace: not a container");
                    }
                } catch (IOException e) {
                    return fail("no running process with PID " + source.pid + ": " + e.getMessage());
                }
            }
            Registration r = new Registration(container, "pid", Optional.ofNullable(source.pid), start,
                    Optional.ofNullable(source.pidFile).map(p -> p.toAbsolutePath().toString()));
            try {
                plane().db().transaction(tx -> {
                    plane().containers().register(tx.dsl(), r);
                plane().history().record(tx.dsl(), container.value(), "admin", "container add", "ok",
                            source.pid != null ? "pid " + source.pid : "pidfile " + r.pidFile().orElseThrow(), null);
                    return null;
                });
            } catch (IllegalArgumentException e) {
                return fail(e.getMessage());
            }
            plane().poke();
            out().println("registered " + container);
            return 0;
        }
    }

    @Command(name = "rm", description = "Forget a container (its shares' mounts are removed).")
    static final class Remove extends AdminCommand {
        @Parameters(paramLabel = "NAME") String name;

        Remove(AdminCommands.Context c) { super(c); }

        @Override
        public Integer call() {
            ContainerName container = resolveName(name);
            if (!forgetContainer(container)) return fail("no container named " + container);
            out().println("removed " + container);
            return 0;
        }
    }

    @Command(name = "list", description = "List registered containers.")
    static final class ListAll extends AdminCommand {
        @CommandLine.Mixin JsonOption json;

        ListAll(AdminCommands.Context c) { super(c); }

        @Override
        public Integer call() {
            List<Registration> all = plane().db().transaction(tx -> plane().containers().list(tx.dsl()));
            List<ContainerStore.Known> known = plane().db().transaction(tx -> plane().containers().known(tx.dsl()));
            SharingState state = plane().db().transaction(tx -> plane().sharing().read(tx.dsl()));
            var running = plane().running();
            List<Map<String, Object>> rows = new ArrayList<>();
            for (ContainerStore.Known k : known) {
                Optional<Registration> r = all.stream().filter(x -> x.name().equals(k.name())).findFirst();
                List<String> disabled = new ArrayList<>();
                for (Verb v : Verb.values()) if (!state.isEnabled(k.name(), v)) disabled.add(v.word());
                String pid = r.flatMap(x -> x.pid().map(String::valueOf).or(() -> x.pidFile().map(f -> "file:" + f)))
                        .orElse(k.runtime() + ":" + k.runtimeName());
                rows.add(Map.of("name", k.name().value(), "runtime", k.runtime(),
                        "state", running.contains(k.name()) ? "running" : "stopped",
                        "pid", pid, "disabled", disabled));
            }
            if (json.json) {
                printJson(rows);
            } else {
                out().printf("%-20s %-8s %-8s %-30s %s%n", "NAME", "RUNTIME", "STATE", "PID", "DISABLED");
                for (var row : rows) {
                    out().printf("%-20s %-8s %-8s %-30s %s%n", row.get("name"), row.get("runtime"), row.get("state"),
                            row.get("pid"), String.join(",", (List<String>) row.get("disabled")));
                }
            }
            return 0;
        }
    }

    abstract static class VerbSwitch extends AdminCommand {
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "VERB",
                description = "caston, castoff, castblock, showcast, cast, ucast") List<String> verbs;

        VerbSwitch(AdminCommands.Context c) { super(c); }

        int set(boolean enabled) {
            ContainerName container = resolveName(name);
            List<Verb> parsed = verbs.stream().map(Verb::parse).toList();
            plane().db().transaction(tx -> {
                for (Verb v : parsed) plane().sharing().setVerbEnabled(tx.dsl(), container, v, enabled);
                plane().history().record(tx.dsl(), container.value(), "admin", (enabled ? "enable " : "disable ")
                        + String.join(" ", verbs), "ok", "", null);
                return null;
            });
            plane().commandsChanged();
            out().println((enabled ? "enabled " : "disabled ") + String.join(" ", verbs) + " for " + container);
            return 0;
        }
    }

    @Command(name = "enable", description = "Enable guest commands for a container (all are enabled by default).")
    static final class Enable extends VerbSwitch {
        Enable(AdminCommands.Context c) { super(c); }

        @Override
        public Integer call() { return set(true); }
    }

    @Command(name = "disable", description = "Disable guest commands for a container.")
    static final class Disable extends VerbSwitch {
        Disable(AdminCommands.Context c) { super(c); }

        @Override
        public Integer call() { return set(false); }
    }
}
