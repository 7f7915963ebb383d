package org.phoenixcast.discovery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Test support for the runtime adapter ITs: a static-busybox root file system (the same layout
 * as the tests module's BusyboxRootfs, which control-plane cannot depend on) and a command runner.
 */
public final class BusyboxTree {
    /** PID 1: traps TERM (a namespace init drops unhandled signals) and reaps orphans. */
    static final String INIT = "#!/bin/sh\ntrap 'exit 0' TERM INT\nwhile :; do sleep 2147483647 & wait $! || :; done\n";

    private BusyboxTree() {}

    /** Builds the rootfs in {@code root}; with {@code ownerId} > 0 it is chowned to that uid and gid. */
    public static Path build(Path root, int ownerId) throws IOException {
        for (String d : List.of("bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "root", "run", "usr", "var/tmp")) {
            Files.createDirectories(root.resolve(d));
        }
        Files.setPosixFilePermissions(root.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Path busybox = Path.of("/bin/busybox").toRealPath();
        Files.copy(busybox, root.resolve("bin/busybox"));
        for (String applet : List.of("sh", "sleep", "cat", "ls", "mount", "echo", "hostname", "ps")) {
            Files.createSymbolicLink(root.resolve("bin").resolve(applet), Path.of("busybox"));
        }
        Files.writeString(root.resolve("sbin/init"), INIT);
        Files.setPosixFilePermissions(root.resolve("sbin/init"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\n");
        if (ownerId > 0) run(Duration.ofSeconds(30), "chown", "-R", "-h", ownerId + ":" + ownerId, root.toString());
        return root;
    }

    /**
     * Runs a command, returns what it printed; fails with that when it exits non-zero. Output
     * goes to a file, not a pipe: a detached container started by the command inherits it.
     */
    public static String run(Duration timeout, String... command) throws IOException {
        Path log = Files.createTempFile("phoenix-cast-cmd", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            try {
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    throw new IOException(String.join(" ", command) + " timed out");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
                throw new IOException("interrupted", e);
            }
            String text = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + text);
            return text;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** Removes a tree (after its containers are gone); never throws. */
    public static void deleteQuietly(Path p) {
        try {
            run(Duration.ofSeconds(60), "rm", "-rf", "--one-file-system", p.toString());
        } catch (IOException e) {
            System.err.println("cannot remove " + p + ": " + e.getMessage());
        }
    }
}
