package org.phoenixcast.daemon;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.phoenixcast.config.CastdConfig;
import org.phoenixcast.mount.LinuxMountFacade;
import org.phoenixcast.mount.MountFacade;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code castd}: runs the control plane in the foreground until SIGTERM/SIGINT. */
@Command(name = "castd", mixinStandardHelpOptions = true, version = "phoenix-cast 0.1.0",
        description = "phoenix-cast control plane: live, consent-based folder sharing between containers.")
public final class Castd implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "castd.conf (Java properties).")
    Path config;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Where castd keeps everything (default: the config's state-dir, else /var/lib/phoenix-cast).")
    Path stateDir;

    @Override
    public Integer call() throws Exception {
        CastdConfig settings = CastdConfig.load(config, stateDir);
        // Everything castd keeps lives under the state directory, the read-only lock's staging too,
        // so isolated instances (tests, several hosts' worth on one box) never share it.
        java.nio.file.Files.createDirectories(settings.stateDir());
        java.nio.file.Files.setPosixFilePermissions(settings.stateDir(),
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        org.phoenixcast.linux.ReadLease.requireLeasesEnabled();
        MountFacade kernel = LinuxMountFacade.start(settings.stateDir().resolve("run"));
        Daemon daemon = Daemon.start(settings, kernel);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            daemon.close();
            stopped.countDown();
        }, "castd-shutdown"));
        stopped.await();
        return 0;
    }

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new Castd());
        cl.setExecutionExceptionHandler((e, line, parse) -> {
            line.getErr().println("castd: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        });
        System.exit(cl.execute(args));
    }
}
