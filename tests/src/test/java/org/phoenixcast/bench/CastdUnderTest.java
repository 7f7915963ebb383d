package org.phoenixcast.bench;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real castd started from this checkout's {@code bin/castd} as a child process, with its own
 * state directory, and {@code bin/castctl} runs against it. castd's log goes to
 * {@code STATE/../castd.log} so a failed start can be shown.
 */
final class CastdUnderTest implements AutoCloseable {
    /** castd starts in ~1-2 s (JVM, Flyway, H2); 60 s only bounds a wedged start. */
    private static final long START_TIMEOUT_MILLIS = 60_000;
    /** Shutdown waits up to 10 s for the worker's current request; give it a little more. */
    private static final long STOP_GRACE_SECONDS = 15;
    private static final long CASTCTL_TIMEOUT_SECONDS = 60;

    private final Path repo;
    private final Path stateDir;
    private final Path log;
    private final Process process;

    private CastdUnderTest(Path repo, Path stateDir, Path log, Process process) {
        this.repo = repo;
        this.stateDir = stateDir;
        this.log = log;
        this.process = process;
    }

    /**
     * Starts castd with {@code config} (null: one that turns runtime discovery off, so the
     * benchmark's castd never sets up the host's own containers) and waits until
     * {@code castctl status} answers.
     */
    static CastdUnderTest start(Path repo, Path workDir, Path config, Path log) throws IOException, InterruptedException {
        Path stateDir = workDir.resolve("state");
        List<String> argv = new ArrayList<>(List.of(repo.resolve("bin/castd").toString(), "--state-dir", stateDir.toString()));
        if (config == null) {
            config = workDir.resolve("castd.conf");
            java.nio.file.Files.writeString(config, "runtimes =\n");
        }
        argv.addAll(List.of("--config", config.toString()));
        ProcessBuilder pb = new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        CastdUnderTest castd = new CastdUnderTest(repo, stateDir, log, pb.start());
        try {
            castd.awaitReady();
            return castd;
        } catch (IOException | InterruptedException | RuntimeException e) {
            castd.close();
            throw e;
        }
    }

    Path stateDir() {
        return stateDir;
    }

    /** The host side of a guest's /syscmd/replies (castd's tmpfs), for removing replies already read. */
    Path hostReplies(String container) {
        return stateDir.resolve("guests").resolve(container).resolve("syscmd/replies");
    }

    private void awaitReady() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MILLIS);
        Path socket = stateDir.resolve("castd.sock");
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) throw new IOException("castd exited with " + process.exitValue() + ":\n" + logTail());
            if (Files.exists(socket) && run(List.of("status")).exitCode == 0) return;
            Thread.sleep(100);
        }
        throw new IOException("castd did not answer within " + START_TIMEOUT_MILLIS + " ms:\n" + logTail());
    }

    /** Runs {@code castctl --state-dir STATE ARGS...}; fails with its output unless it exits 0. */
    String castctl(String... args) throws IOException, InterruptedException {
        Result r = run(List.of(args));
        if (r.exitCode != 0) {
            throw new IOException("castctl " + String.join(" ", args) + " exited " + r.exitCode + ": " + r.output);
        }
        return r.output;
    }

    private Result run(List<String> args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of(repo.resolve("bin/castctl").toString(), "--state-dir", stateDir.toString()));
        argv.addAll(args);
        Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(CASTCTL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("castctl " + String.join(" ", args) + " hung");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no castd log: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM (castd's shutdown hook closes the daemon), then SIGKILL after the grace. Idempotent. */
    @Override
    public void close() {
        if (!process.isAlive()) return;
        process.destroy();
        try {
            if (!process.waitFor(STOP_GRACE_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private record Result(int exitCode, String output) {}
}
