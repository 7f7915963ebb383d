package org.phoenixcast.it.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.phoenixcast.testing.TestMounts;

/**
 * A real castd process (bin/castd from the built checkout) on a private state directory, plus
 * castctl calls against it. {@link #close()} stops castd, detaches every mount beneath the state
 * directory and deletes it, even after a failed test.
 */
public final class CastdProcess implements AutoCloseable {
    /**
     * castd starts in about a second on an idle machine; on a 2-core machine shared with other
     * builds (load 15-20) starts and restarts of 16-46 s were seen. This bounds a broken start.
     */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private final Path repo;
    private final Path stateDir;
    private final Path log;
    /** castd.conf passed with --config, or null for the built-in defaults. */
    private final Path config;
    /** CASTD_JAVA_OPTS for bin/castd, or null to inherit. */
    private final String javaOpts;
    private Process process;

    private CastdProcess(Path repo, Path stateDir, Path config, String javaOpts) {
        this.repo = repo;
        this.stateDir = stateDir;
        this.log = stateDir.resolveSibling(stateDir.getFileName() + ".log");
        this.config = config;
        this.javaOpts = javaOpts;
    }

    /** The repository root: -Dphoenixcast.repo (set by the tests pom) or the parent of the working directory. */
    public static Path repo() {
        String configured = System.getProperty("phoenixcast.repo");
        Path repo = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath().getParent();
        return repo.toAbsolutePath().normalize();
    }

    /** Starts castd on a new temporary state directory and waits until castctl can reach it. */
    public static CastdProcess start() throws IOException {
        return start(java.util.Map.of(), null);
    }

    /**
     * Starts castd with these castd.conf settings (key → value, written to a castd.conf beside
     * the state directory; {@code runtimes} is empty unless given: no discovery) and, unless null, these JVM options (CASTD_JAVA_OPTS, e.g. -Xmx).
     */
    public static CastdProcess start(java.util.Map<String, String> settings, String javaOpts) throws IOException {
        return start(settings, javaOpts, 0);
    }

    /**
     * Like {@link #start(java.util.Map, String)}, with the state directory on its own tmpfs of
     * {@code stateTmpfsBytes} bytes (0: no tmpfs), so a test can fill castd's state disk.
     * {@link #close()} unmounts it with everything else beneath the temporary directory.
     */
    public static CastdProcess start(java.util.Map<String, String> settings, String javaOpts, long stateTmpfsBytes)
            throws IOException {
        Path parent = Files.createTempDirectory("castd-it");
        if (stateTmpfsBytes > 0) {
            Path state = Files.createDirectory(parent.resolve("state"));
            ExecResult mount = run(List.of("mount", "-t", "tmpfs", "-o", "size=" + stateTmpfsBytes + ",mode=0700",
                    "castd-state", state.toString()));
            if (!mount.succeeded()) throw new IOException("cannot mount a tmpfs at " + state + ": " + mount);
        }
        // No runtime discovery unless a test asks for it: a castd under test must not set up
        // /.syscmd in containers of the host's runtimes (or of another test's fixture).
        java.util.Map<String, String> effective = new java.util.TreeMap<>(settings);
        effective.putIfAbsent("runtimes", "");
        Path config = parent.resolve("castd.conf");
        StringBuilder text = new StringBuilder();
        effective.forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
        Files.writeString(config, text);
        CastdProcess castd = new CastdProcess(repo(), parent.resolve("state"), config, javaOpts);
        castd.startProcess();
        return castd;
    }

    private void startProcess() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(repo.resolve("bin/castd").toString(), "--state-dir", stateDir.toString()));
        if (config != null) cmd.addAll(List.of("--config", config.toString()));
        ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        if (javaOpts != null) builder.environment().put("CASTD_JAVA_OPTS", javaOpts);
        process = builder.start();
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) throw new IOException("castd exited with " + process.exitValue() + ":\n" + log());
            if (castctl("status").succeeded()) return;
            sleepBriefly();
        }
        process.destroyForcibly(); // a castd that never answered must not outlive the test
        throw new IOException("castd did not answer within " + START_TIMEOUT + ":\n" + log());
    }

    /** Starts castd again on the same state directory (after {@link #kill9()} or {@link #stop()}). */
    public void restart() throws IOException {
        if (process != null && process.isAlive()) stop();
        startProcess();
    }

    /** SIGKILL: no shutdown hook runs; tests crash recovery. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM and wait: the orderly shutdown path. */
    public void stop() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public Path stateDir() {
        return stateDir;
    }

    public long pid() {
        return process.pid();
    }

    /** castd's resident set size now (VmRSS of /proc/PID/status), KiB. */
    public long rssKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException e) {
            throw new AssertionError("cannot read castd's VmRSS", e);
        }
        throw new AssertionError("no VmRSS for castd");
    }

    /** Runs bin/castctl --state-dir STATE ARGS… and returns its exit code and output. */
    public ExecResult castctl(String... args) {
        List<String> cmd = new ArrayList<>(List.of(repo.resolve("bin/castctl").toString(), "--state-dir", stateDir.toString()));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).start();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new ExecResult(-1, "", "castctl timed out");
            }
            return new ExecResult(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new ExecResult(-1, "", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new ExecResult(-1, "", "interrupted");
        }
    }

    /** Like {@link #castctl} but fails the test when castctl does not exit 0. */
    public String castctlOk(String... args) {
        ExecResult r = castctl(args);
        if (!r.succeeded()) throw new AssertionError("castctl " + String.join(" ", args) + " failed: " + r + "\ncastd log:\n" + log());
        return r.stdout();
    }

    /** castd's log so far (for assertion messages). */
    public String log() {
        try {
            return Files.exists(log) ? Files.readString(log) : "(no log)";
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (process != null && process.isAlive()) {
                ExecResult sandboxes = castctl("sandbox", "list");
                for (String line : sandboxes.stdout().lines().skip(1).toList()) {
                    String name = line.split("\\s+")[0];
                    if (!name.isEmpty()) castctl("sandbox", "rm", name);
                }
                stop();
            }
        } finally {
            TestMounts.detachAllBeneath(stateDir.getParent());
            TestMounts.deleteTree(stateDir.getParent());
        }
    }

    private static ExecResult run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly();
            return new ExecResult(p.isAlive() ? -1 : p.exitValue(), out, "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
