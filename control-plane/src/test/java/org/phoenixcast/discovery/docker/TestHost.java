package org.phoenixcast.discovery.docker;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Host-side helpers for the Docker and Podman test daemons (control-plane ITs and the tests
 * module's fixtures): run a tool with a time limit, build a busybox root file system, and remove
 * a daemon's directory with every mount beneath it.
 */
public final class TestHost {
    private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /** PID 1 of every test container: traps TERM (a namespace init drops unhandled signals), reaps orphans. */
    public static final String INIT = "#!/bin/sh\ntrap 'exit 0' TERM INT\nwhile :; do sleep 2147483647 & wait $! || :; done\n";

    private TestHost() {}

    /** What a finished command printed. */
    public record Result(int exitCode, String stdout, String stderr) {
        public boolean succeeded() {
            return exitCode == 0;
        }

        /** stdout, or an exception naming the command and its stderr. */
        public String orThrow(List<String> argv) {
            if (exitCode != 0) {
                throw new IllegalStateException(String.join(" ", argv) + " failed (" + exitCode + "): " + stderr.strip());
            }
            return stdout;
        }
    }

    /** Runs {@code argv} with PATH only, stdin /dev/null; kills it (and its children) on timeout. */
    public static Result run(Duration timeout, List<String> argv) {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().clear();
        pb.environment().put("PATH", PATH);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + argv.get(0), e);
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", argv) + " timed out after " + timeout);
            }
            return new Result(p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the output of " + argv.get(0), e);
        }
    }

    public static Result run(Duration timeout, String... argv) {
        return run(timeout, List.of(argv));
    }

    private static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                in.transferTo(b);
                return b.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * A static-busybox root file system in {@code root}: /bin/busybox with the applets as
     * symlinks, /sbin/init = {@link #INIT}. With {@code ownerId} > 0 everything is chowned to it
     * (the container root of a user-namespaced container).
     */
    public static Path busyboxRootfs(Path root, int ownerId) throws IOException {
        for (String d : List.of("bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "root", "run", "srv", "mnt")) {
            Files.createDirectories(root.resolve(d));
        }
        Files.setPosixFilePermissions(root.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Path busybox = root.resolve("bin/busybox");
        Files.copy(hostBusybox(), busybox);
        Files.setPosixFilePermissions(busybox, PosixFilePermissions.fromString("rwxr-xr-x"));
        String applets = run(Duration.ofSeconds(30), busybox.toString(), "--list").orThrow(List.of("busybox", "--list"));
        for (String applet : applets.lines().filter(l -> !l.isBlank() && !l.contains("/")).toList()) {
            Path link = root.resolve("bin").resolve(applet);
            if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) Files.createSymbolicLink(link, Path.of("busybox"));
        }
        Files.writeString(root.resolve("sbin/init"), INIT);
        Files.setPosixFilePermissions(root.resolve("sbin/init"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\n");
        if (ownerId > 0) {
            List<String> chown = List.of("chown", "-R", "-h", ownerId + ":" + ownerId, root.toString());
            run(Duration.ofSeconds(60), chown).orThrow(chown);
        }
        return root;
    }

    private static Path hostBusybox() throws IOException {
        for (String candidate : List.of("/bin/busybox", "/usr/bin/busybox", "/sbin/busybox")) {
            Path p = Path.of(candidate);
            if (Files.isExecutable(p)) return p.toRealPath();
        }
        throw new IOException("no static busybox found (apt-get install busybox-static)");
    }

    /**
     * When process {@code pid} started, on the System.nanoTime() clock, from its /proc
     * starttime and /proc/uptime (both since boot; 10 ms ticks, so about ±10 ms).
     */
    public static long startedAtNanoTime(int pid) throws IOException {
        long ticks = org.phoenixcast.linux.ProcessStat.read(pid).orElseThrow(() -> new IOException("no process " + pid)).startTime();
        long now = System.nanoTime();
        String uptime = Files.readString(Path.of("/proc/uptime")).split(" ")[0];
        long uptimeNanos = new java.math.BigDecimal(uptime).movePointRight(9).longValueExact();
        long tickNanos = 1_000_000_000L / clockTicksPerSecond();
        return now - (uptimeNanos - ticks * tickNanos);
    }

    private static long clockTicksPerSecond() {
        String out = run(Duration.ofSeconds(10), "getconf", "CLK_TCK").stdout().strip();
        return out.isEmpty() ? 100 : Long.parseLong(out);
    }
}
