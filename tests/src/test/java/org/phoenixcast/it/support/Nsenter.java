package org.phoenixcast.it.support;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a command inside a running container with nsenter: its mount, UTS, IPC and PID namespaces
 * (plus its user namespace when asked, so a user-namespaced container's root runs it as its own
 * root, not as host root), its root and working directory. Independent of any runtime's own exec
 * (lxc-attach, docker exec, ...), so every runtime's container is driven the same way.
 */
public final class Nsenter {
    private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private Nsenter() {}

    /**
     * Runs {@code command} in {@code pid}'s namespaces with PATH and HOME=/root only. On timeout
     * everything it started is killed and an {@link IllegalStateException} says what it printed.
     *
     * @param enterUserNamespace also enter the container's user namespace (user-namespaced containers)
     * @param stdin              standard input for the command, or null for /dev/null
     */
    public static ExecResult exec(int pid, boolean enterUserNamespace, Duration timeout, String stdin, List<String> command) {
        List<String> argv = new ArrayList<>(List.of("nsenter", "--target", Integer.toString(pid)));
        // Without --preserve-credentials nsenter switches to uid/gid 0 of the entered user
        // namespace (the container's root); with it, host root stays unmapped there (uid 65534)
        // and cannot even create a file in the guest's /tmp.
        if (enterUserNamespace) argv.add("--user");
        argv.addAll(List.of("--mount", "--uts", "--ipc", "--pid", "--root", "--wd", "--"));
        argv.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().clear();
        pb.environment().put("PATH", PATH);
        pb.environment().put("HOME", "/root");
        if (stdin == null) pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run nsenter", e);
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        if (stdin != null) {
            try (OutputStream in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // the command exited without reading all of it; its exit code tells
            }
        }
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                killTree(p.toHandle());
                throw new IllegalStateException(String.join(" ", command) + " timed out after " + timeout
                        + "; stdout: " + out.getNow("") + "; stderr: " + err.getNow(""));
            }
            return new ExecResult(p.exitValue(), out.get(5, TimeUnit.SECONDS), err.get(5, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            killTree(p.toHandle());
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the output of " + String.join(" ", command), e);
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** nsenter forks the command inside; killing nsenter alone would orphan it into the container. */
    static void killTree(ProcessHandle top) {
        top.descendants().forEach(ProcessHandle::destroyForcibly);
        top.destroyForcibly();
    }
}
