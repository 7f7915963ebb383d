package org.phoenixcast.admin;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.runtime.SandboxInfo;
import org.phoenixcast.runtime.Sandboxes;
import org.phoenixcast.store.ContainerStore.Registration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code castctl sandbox …}: the embedded default runtime, so phoenix-cast can be tried on a
 * bare host. castd creates, starts and stops sandboxes (they outlive castd and castctl) and
 * registers them by their PID file; {@code exec} runs in castctl with the caller's terminal.
 */
@Command(name = "sandbox", description = "Embedded containers for trying phoenix-cast on a bare host.",
        subcommands = {SandboxCommands.Create.class, SandboxCommands.Remove.class, SandboxCommands.Start.class,
                SandboxCommands.Stop.class, SandboxCommands.Restart.class, SandboxCommands.ListAll.class,
                SandboxCommands.Exec.class})
final class SandboxCommands implements Callable<Integer> {
    static final String RUNTIME = "sandbox";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    abstract static class OnSandbox extends AdminCommand {
        @Parameters(index = "0", paramLabel = "NAME") String name;

        OnSandbox(AdminCommands.Context c) { super(c); }

        ContainerName container() {
            return ContainerName.parse(name);
        }

        Sandboxes sandboxes() {
            return new Sandboxes(plane().stateDir());
        }
    }

    @Command(name = "create", description = "Create and start a sandbox and register it with castd.")
    static final class Create extends OnSandbox {
        Create(AdminCommands.Context c) { super(c); }

        @Override
        public Integer call() throws IOException {
            ContainerName container = container();
            boolean taken = plane().db().transaction(tx -> plane().containers().find(tx.dsl(), container).isPresent());
            if (taken) return fail("a container named " + container + " is already registered");
            Sandboxes sandboxes = sandboxes();
            int pid = sandboxes.create(container);
            Registration r = new Registration(container, RUNTIME, Optional.empty(), Optional.empty(),
                    Optional.of(sandboxes.pidFile(container).toString()));
            plane().db().transaction(tx -> {
                plane().containers().register(tx.dsl(), r);
                plane().history().record(tx.dsl(), container.value(), "admin", "sandbox create", "ok", "pid " + pid, null);
                return null;
            });
            plane().poke();
            out().println("created sandbox " + container + " (pid " + pid + ")");
            return 0;
        }
    }

    @Command(name = "rm", description = "Stop a sandbox, delete its files and unregister it.")
    static final class Remove extends OnSandbox {
        Remove(AdminCommands.Context c) { super(c); }

        @Override
        public Integer call() throws IOException {
            ContainerName container = container();
            sandboxes().remove(container);
            forgetContainer(container);
            out().println("removed sandbox " + container);
            return 0;
        }
    }

    @Command(name = "start", description = "Start a stopped sandbox.")
    static final class Start extends OnSandbox {
        Start(AdminCommands.Context c) { super(c); }

        @Override
        public Integer call() throws IOException {
            int pid = sandboxes().start(container());
            plane().poke();
            out().println("started sandbox " + container() + " (pid " + pid + ")");
            return 0;
        }
    }

    @Command(name = "stop", description = "Stop a sandbox (its files stay).")
    static final class Stop extends OnSandbox {
        Stop(AdminCommands.Context c) { super(c); }

        @Override
        public Integer call() throws IOException {
            sandboxes().stop(container());
            plane().poke();
            out().println("stopped sandbox " + container());
            return 0;
        }
    }

    @Command(name = "restart", description = "Stop and start a sandbox; its accepted shares come back.")
    static final class Restart extends OnSandbox {
        Restart(AdminCommands.Context c) { super(c); }

        @Override
        public Integer call() throws IOException {
            int pid = sandboxes().restart(container());
            plane().poke();
            out().println("restarted sandbox " + container() + " (pid " + pid + ")");
            return 0;
        }
    }

    @Command(name = "list", description = "List sandboxes.")
    static final class ListAll extends AdminCommand {
        @CommandLine.Mixin JsonOption json;

        ListAll(AdminCommands.Context c) { super(c); }

        @Override
        public Integer call() throws IOException {
            List<SandboxInfo> all = new Sandboxes(plane().stateDir()).list();
            if (json.json) {
                printJson(all.stream().map(s -> java.util.Map.of("name", s.name().value(), "root", s.root().toString(),
                        "pid", s.pid().isPresent() ? s.pid().getAsInt() : -1)).toList());
                return 0;
            }
            out().printf("%-20s %-8s %s%n", "NAME", "PID", "ROOT");
            for (SandboxInfo s : all) {
                out().printf("%-20s %-8s %s%n", s.name(), s.pid().isPresent() ? s.pid().getAsInt() : "-", s.root());
            }
            return 0;
        }
    }

    @Command(name = "exec", description = "Run a command inside a sandbox, e.g. sandbox exec web1 -- /syscmd/showcast -a")
    static final class Exec extends AdminCommand implements RunsInCastctl {
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD") List<String> command;

        Exec(AdminCommands.Context c) { super(c); }

        @Override
        public Integer call() throws Exception {
            AdminCommands.Root root = (AdminCommands.Root) spec.root().userObject();
            Process p = new Sandboxes(root.stateDir).exec(ContainerName.parse(name), command).inheritIO().start();
            return p.waitFor();
        }
    }
}
