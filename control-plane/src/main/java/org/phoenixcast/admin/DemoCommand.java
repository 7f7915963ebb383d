package org.phoenixcast.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.runtime.Sandboxes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code castctl demo}: a one-minute tour on a temporary state directory. Starts its own castd,
 * creates three sandboxes, runs real guest commands in them (offer, accept, read-only host
 * publication, block, withdraw), shows what each guest sees and the history, then cleans up.
 */
@Command(name = "demo", description = "Start a private castd and three sandboxes, share folders between them, clean up.")
final class DemoCommand extends AdminCommand implements RunsInCastctl {
    /** castd needs well under a second to start; this bounds a broken start. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    @Option(names = "--keep", description = "Leave castd and the sandboxes running for you to explore.")
    boolean keep;

    DemoCommand(AdminCommands.Context c) { super(c); }

    @Override
    public Integer call() throws Exception {
        Path state = Files.createTempDirectory("phoenix-cast-demo");
        Path hostShare = Files.createTempDirectory("phoenix-cast-demo-host");
        Files.writeString(hostShare.resolve("README"), "published read-only by the host\n");
        Process castd = startCastd(state);
        AdminClient admin = new AdminClient(state.resolve("castd.sock"));
        demoAdmin = admin;
        Sandboxes sandboxes = new Sandboxes(state);
        List<ContainerName> names = List.of(ContainerName.parse("web1"), ContainerName.parse("web2"), ContainerName.parse("web3"));
        try {
            awaitCastd(admin, castd);
            say("castd is running with state in " + state);
            for (ContainerName n : names) admin("sandbox", "create", n.value());
            awaitGuestCommands(sandboxes, names);
            guest(sandboxes, "web1", "mkdir -p /srv/data && echo 'hello from web1' > /srv/data/hello.txt && cast /srv/data web2");
            guest(sandboxes, "web2", "caston web1:/srv/data && cat /srv/data/hello.txt && showcast");
            admin("publish", hostShare.toString(), "--ro", "--to", "web3:/srv/host");
            guest(sandboxes, "web3", "caston && cat /srv/host/README && touch /srv/host/x; showcast -a");
            guest(sandboxes, "web3", "mount -o remount,bind,rw /srv/host || echo 'even the guest root cannot make it writable'");
            guest(sandboxes, "web3", "castblock && showcast -a");
            guest(sandboxes, "web1", "cast /srv/data web3");
            guest(sandboxes, "web3", "caston web1:/srv/data; showcast -a; castblock -u && showcast");
            guest(sandboxes, "web1", "ucast /srv/data && showcast -a");
            guest(sandboxes, "web2", "showcast -a; ls /srv/data");
            guest(sandboxes, "web2", "caston web9:/nowhere; castoff /proc; cast /proc web1");
            admin("history", "--limit", "40");
            if (keep) say("kept running: castctl --state-dir " + state + " …   (castd pid " + castd.pid() + ")");
            return 0;
        } finally {
            if (!keep) cleanUp(state, hostShare, castd, sandboxes, names);
        }
    }

    private Process startCastd(Path state) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        // No runtime discovery: the demo's castd must never set up the host's real containers
        // (a host castd may already serve them); it serves only its own sandboxes.
        Path config = state.resolve("castd.conf");
        Files.writeString(config, "runtimes =\n");
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                "org.phoenixcast.daemon.Castd", "--state-dir", state.toString(), "--config", config.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(state.resolve("castd.log").toFile()).start();
    }

    private void awaitCastd(AdminClient admin, Process castd) throws Exception {
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            if (!castd.isAlive()) throw new IOException("castd exited with " + castd.exitValue() + "; see its log");
            try {
                admin.call(new AdminRequest(List.of("status"), ""));
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IOException("castd did not start within " + START_TIMEOUT.toSeconds() + " s");
    }

    private void awaitGuestCommands(Sandboxes sandboxes, List<ContainerName> names) throws Exception {
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        for (ContainerName n : names) {
            while (run(sandboxes, n.value(), "test -x /syscmd/caston", false) != 0) {
                if (Instant.now().isAfter(deadline)) throw new IOException("castd did not serve " + n + " in time");
                Thread.sleep(100);
            }
        }
    }

    private void admin(String... args) throws IOException {
        say("host$ castctl " + String.join(" ", args));
        AdminResponse r = client(args);
        out().print(r.out());
        out().print(r.err());
        out().flush();
    }

    private AdminResponse client(String... args) throws IOException {
        return demoAdmin.call(new AdminRequest(List.of(args), ""));
    }

    private AdminClient demoAdmin;

    private void guest(Sandboxes sandboxes, String name, String script) throws Exception {
        say(name + "$ " + script);
        run(sandboxes, name, script, true);
    }

    private int run(Sandboxes sandboxes, String name, String script, boolean show) throws Exception {
        ProcessBuilder pb = sandboxes.exec(ContainerName.parse(name), List.of("/bin/sh", "-c", "PATH=/syscmd:$PATH; " + script));
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor();
        if (show) {
            output.lines().forEach(l -> out().println("    " + l));
            out().flush();
        }
        return exit;
    }

    private void say(String line) {
        out().println();
        out().println(line);
        out().flush();
    }

    private void cleanUp(Path state, Path hostShare, Process castd, Sandboxes sandboxes, List<ContainerName> names) {
        for (ContainerName n : names) {
            try {
                sandboxes.remove(n);
            } catch (IOException e) {
                out().println("demo: could not remove sandbox " + n + ": " + e.getMessage());
            }
        }
        castd.destroy();
        try {
            castd.waitFor();
            new ProcessBuilder("umount", "-R", "-l", state.resolve("guests").toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
            for (ContainerName n : names) {
                for (String d : List.of("drop", "syscmd")) {
                    new ProcessBuilder("umount", "-l", state.resolve("guests").resolve(n.value()).resolve(d).toString())
                            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
                }
            }
            new ProcessBuilder("rm", "-rf", "--one-file-system", state.toString(), hostShare.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (IOException | InterruptedException e) {
            out().println("demo: cleanup incomplete: " + e.getMessage());
        }
        say("cleaned up");
    }
}
