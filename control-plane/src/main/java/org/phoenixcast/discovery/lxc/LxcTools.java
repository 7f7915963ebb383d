package org.phoenixcast.discovery.lxc;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Finds LXC's own command-line tools (lxc-ls, lxc-info, lxc-monitor) in fixed host directories
 * and runs them with a clean environment, stdin from /dev/null, a timeout and capped output.
 * The JVM closes every other fd in the child, so castd's fds never reach LXC.
 */
final class LxcTools {
    /** Where Debian's lxc package and a source install put the tools; castd's own PATH is not used. */
    static final List<Path> HOST_DIRECTORIES = List.of(Path.of("/usr/local/sbin"), Path.of("/usr/local/bin"),
            Path.of("/usr/sbin"), Path.of("/usr/bin"), Path.of("/sbin"), Path.of("/bin"));
    /** lxc-ls and lxc-info answer in milliseconds; five seconds only bounds a wedged container monitor. */
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** lxc-ls prints a name per line: 1 MiB is ~50,000 containers. */
    private static final int MAX_STDOUT_BYTES = 1 << 20;
    /** Enough of stderr to explain a failure in one log line. */
    private static final int MAX_STDERR_BYTES = 2000;
    private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /**
     * Reads the tools' stdout and stderr. Not the common pool: it has one thread on a 2-core
     * host, and a drain blocked there would stall everyone else's async work (and ours).
     */
    private static final ExecutorService DRAINS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "castd-lxc-output");
        t.setDaemon(true);
        return t;
    });

    private final List<Path> directories;

    LxcTools(List<Path> directories) {
        this.directories = List.copyOf(directories);
    }

    static LxcTools onHost() {
        return new LxcTools(HOST_DIRECTORIES);
    }

    /** The tool's path, or empty if LXC is not installed (checked anew on every call: it may be installed later). */
    Optional<Path> find(String tool) {
        for (Path dir : directories) {
            Path candidate = dir.resolve(tool);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) return Optional.of(candidate);
        }
        return Optional.empty();
    }

    /**
     * {@code argv} run under {@code setpriv --pdeathsig KILL} (util-linux, essential on Debian)
     * when it is installed: the kernel kills the child when the thread that started it ends, so
     * a long-running child does not outlive castd even after kill -9.
     * NOTE: a thread that ends within the ~1 ms before setpriv's prctl() leaves the child running;
     * castd's starting thread is its long-lived discovery loop.
     */
    List<String> dyingWithCaller(List<String> argv) {
        Optional<Path> setpriv = find("setpriv");
        if (setpriv.isEmpty()) return argv;
        List<String> wrapped = new ArrayList<>(List.of(setpriv.get().toString(), "--pdeathsig", "KILL", "--"));
        wrapped.addAll(argv);
        return wrapped;
    }

    /** A process builder with castd's environment replaced by a fixed PATH and the C locale. */
    static ProcessBuilder builder(List<String> argv) {
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().clear();
        pb.environment().put("PATH", PATH);
        pb.environment().put("LC_ALL", "C");
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        return pb;
    }

    record Result(int exitCode, String stdout, String stderr) {
        /** The first line of stderr, for a one-line message. */
        String firstErrorLine() {
            String s = stderr.strip();
            int nl = s.indexOf('\n');
            return nl < 0 ? s : s.substring(0, nl);
        }
    }

    /** Runs a tool to completion; an IOException if it cannot start, times out or floods stdout. */
    Result run(List<String> argv) throws IOException {
        Process p = builder(argv).start();
        CompletableFuture<byte[]> out = drain(p.getInputStream(), MAX_STDOUT_BYTES);
        CompletableFuture<byte[]> err = drain(p.getErrorStream(), MAX_STDERR_BYTES);
        try {
            if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", argv) + " did not finish within " + TIMEOUT);
            }
            byte[] stdout = out.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (stdout.length > MAX_STDOUT_BYTES) throw new IOException(String.join(" ", argv) + " printed over "
                    + MAX_STDOUT_BYTES + " bytes");
            return new Result(p.exitValue(), new String(stdout, StandardCharsets.UTF_8),
                    new String(err.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + String.join(" ", argv), e);
        } catch (ExecutionException | TimeoutException e) {
            p.destroyForcibly();
            throw new IOException("cannot read the output of " + String.join(" ", argv), e);
        }
    }

    /**
     * Reads up to {@code cap} bytes, then discards the rest (so the child never blocks on a full
     * pipe); returns cap + 1 bytes when there was more, so the caller can tell.
     */
    private static CompletableFuture<byte[]> drain(InputStream in, int cap) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                byte[] kept = in.readNBytes(cap + 1);
                byte[] sink = new byte[8192];
                while (in.read(sink) >= 0) {
                    // discard the excess until the child exits
                }
                return kept;
            } catch (IOException e) {
                return new byte[0];
            }
        }, DRAINS);
    }
}
