package org.phoenixcast.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.phoenixcast.model.ContainerName;

/**
 * Runs a short-lived host tool (umount, ...) to completion for one sandbox and turns a failure
 * into one {@link SandboxException} that quotes the command and its stderr.
 */
final class HelperCommand {
    /** Helpers here finish in milliseconds; ten seconds only bounds a wedged one. */
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** Enough stderr to explain a failure, short enough for a one-line message. */
    private static final int MAX_STDERR_CHARS = 2000;

    private HelperCommand() {}

    static String run(ContainerName sandbox, List<String> command) throws SandboxException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new SandboxException(sandbox, "cannot run " + String.join(" ", command), e);
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try {
            if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new SandboxException(sandbox, String.join(" ", command) + " did not finish within " + TIMEOUT);
            }
            if (p.exitValue() != 0) {
                throw new SandboxException(sandbox, String.join(" ", command) + " failed with exit code "
                        + p.exitValue() + ": " + cap(err.join().strip()));
            }
            return out.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new SandboxException(sandbox, "interrupted while running " + String.join(" ", command));
        }
    }

    static String cap(String text) {
        return text.length() <= MAX_STDERR_CHARS ? text
                : "..." + text.substring(text.length() - MAX_STDERR_CHARS);
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(unreadable: " + e.getMessage() + ")";
            }
        });
    }
}
