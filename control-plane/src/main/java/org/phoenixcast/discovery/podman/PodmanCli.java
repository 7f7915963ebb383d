package org.phoenixcast.discovery.podman;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.phoenixcast.config.RuntimeConfig;
import org.phoenixcast.discovery.EventFollower;

/**
 * Runs the podman CLI on the host as castd's root: {@code podman [--root R] [--runroot RR] ...}
 * with castd's environment (so CONTAINERS_CONF and friends apply as they do for the admin),
 * stdin from /dev/null, no inherited fds (Java closes them in the child), every run bounded in
 * time and output.
 *
 * <p>podman creates its storage directories on first use; castd must not create an admin's
 * storage by merely looking. So a configured {@code podman.root} or {@code podman.runroot} that
 * does not exist means "no Podman here", as does a missing binary.
 */
final class PodmanCli {
    /** stderr is only for the error message; its first 64 KiB say why. */
    private static final int MAX_STDERR = 64 * 1024;
    private static final File DEV_NULL = new File("/dev/null");
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

    private final String command;
    private final String root;
    private final String runroot;

    PodmanCli(String command, String root, String runroot) {
        if (command == null || command.isBlank()) throw new IllegalArgumentException("podman.command is empty");
        this.command = command.trim();
        this.root = root == null ? "" : root.trim();
        this.runroot = runroot == null ? "" : runroot.trim();
    }

    static PodmanCli of(RuntimeConfig config) {
        return new PodmanCli(config.setting("podman.command"), config.setting("podman.root"),
                config.setting("podman.runroot"));
    }

    /** True when the binary is there and the configured storage directories exist. */
    boolean available() {
        if (!root.isEmpty() && !Files.isDirectory(Path.of(root))) return false;
        if (!runroot.isEmpty() && !Files.isDirectory(Path.of(runroot))) return false;
        return executable() != null;
    }

    /** The binary: podman.command itself when it holds a '/', else the first match on PATH. */
    Path executable() {
        if (command.contains("/")) {
            Path p = Path.of(command);
            return Files.isRegularFile(p) && Files.isExecutable(p) ? p : null;
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, command);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
        }
        return null;
    }

    /** {@code podman [--root R] [--runroot RR] args...} */
    List<String> argv(List<String> args) {
        List<String> argv = new ArrayList<>();
        argv.add(command);
        if (!root.isEmpty()) argv.addAll(List.of("--root", root));
        if (!runroot.isEmpty()) argv.addAll(List.of("--runroot", runroot));
        argv.addAll(args);
        return argv;
    }

    /**
     * Runs podman and returns its stdout; fails when it runs longer than {@code timeout} (then
     * it is killed), prints more than {@code maxBytes}, or exits non-zero.
     */
    byte[] run(List<String> args, Duration timeout, int maxBytes) throws IOException {
        List<String> argv = argv(args);
        Process p = new ProcessBuilder(argv).redirectInput(DEV_NULL).start();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread drain = new Thread(() -> copyAtMost(p.getErrorStream(), err, MAX_STDERR), "castd-podman-stderr");
        drain.setDaemon(true);
        drain.start();
        AtomicBoolean timedOut = new AtomicBoolean();
        Thread watchdog = new Thread(() -> {
            try {
                if (p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) return;
                timedOut.set(true);
            } catch (InterruptedException e) {
                // the caller is done with it (finished, failed or interrupted)
            }
            if (p.isAlive()) destroy(p);
        }, "castd-podman-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        try (InputStream out = p.getInputStream()) {
            byte[] stdout = out.readNBytes(maxBytes + 1);
            if (stdout.length > maxBytes) {
                destroy(p);
                throw new IOException(what(args) + " printed more than " + maxBytes + " bytes");
            }
            boolean exited = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            drain.join(1000);
            if (!exited || timedOut.get()) {
                destroy(p);
                throw new IOException(what(args) + " did not finish within " + timeout.toSeconds() + " s");
            }
            if (p.exitValue() != 0) {
                String why;
                synchronized (err) {
                    why = firstLine(err.toString(StandardCharsets.UTF_8));
                }
                throw new IOException(what(args) + " failed (exit " + p.exitValue() + "): " + why);
            }
            return stdout;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            destroy(p);
            throw new IOException("interrupted while running " + what(args), e);
        } finally {
            if (p.isAlive()) destroy(p);
            watchdog.interrupt();
        }
    }

    /**
     * Starts {@code podman events --format json --filter type=container --since S}, stderr
     * merged into stdout (its lines are not JSON and are reported as such). The stream's
     * close() kills the process.
     */
    EventFollower.Stream events(long sinceEpochSecond) throws IOException {
        List<String> argv = eventsArgv(sinceEpochSecond);
        Process p = new ProcessBuilder(argv).redirectInput(DEV_NULL).redirectErrorStream(true).start();
        return new EventFollower.Stream() {
            private final InputStream in = p.getInputStream();

            @Override
            public int read(byte[] buf) throws IOException {
                return in.read(buf);
            }

            @Override
            public void close() throws IOException {
                destroy(p);
                in.close();
            }
        };
    }

    /**
     * The events command line, behind {@code setpriv --pdeathsig KILL} where util-linux has it:
     * then the child dies with castd even when castd is killed outright (seen here on kernel
     * 6.18: a SIGKILL of the parent killed it), not only at the next event it fails to write.
     */
    List<String> eventsArgv(long sinceEpochSecond) {
        List<String> argv = new ArrayList<>();
        if (Files.isExecutable(SETPRIV)) argv.addAll(List.of(SETPRIV.toString(), "--pdeathsig", "KILL", "--"));
        argv.addAll(argv(List.of("events", "--format", "json", "--filter", "type=container",
                "--since", Long.toString(sinceEpochSecond))));
        return argv;
    }

    /** Kills podman and anything it started, and reaps it (at most 2 s). */
    static void destroy(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String what(List<String> args) {
        return "podman " + (args.isEmpty() ? "" : args.get(0));
    }

    private static String firstLine(String s) {
        String t = s.strip();
        int nl = t.indexOf('\n');
        return org.phoenixcast.model.Printable.quote(nl < 0 ? t : t.substring(0, nl));
    }

    private static void copyAtMost(InputStream in, ByteArrayOutputStream out, int max) {
        byte[] buf = new byte[8192];
        try (in) {
            int total = 0;
            int n;
            while ((n = in.read(buf)) >= 0) {
                int keep = Math.min(n, max - total);
                if (keep > 0) {
                    synchronized (out) {
                        out.write(buf, 0, keep);
                    }
                    total += keep;
                }
            }
        } catch (IOException e) {
            // the process was killed; what was read is enough
        }
    }
}
