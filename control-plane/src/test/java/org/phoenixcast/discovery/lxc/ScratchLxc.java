package org.phoenixcast.discovery.lxc;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A private lxcpath in a temp directory with busybox containers, driven only with LXC's own
 * tools (lxc-start -d, lxc-stop, lxc-info, lxc-destroy). {@link #close()} stops and destroys
 * every container, tells this lxcpath's lxc-monitord to quit and deletes the directory and
 * LXC's run-time directories for it, even after a failed test; it never throws.
 */
final class ScratchLxc implements AutoCloseable {
    /** lxc-start/stop finish in well under a second; this only bounds a wedged one. */
    private static final long TOOL_TIMEOUT_SECONDS = 30;
    /** A namespace init ignores signals it has no handler for: halt with TERM, which the init traps. */
    private static final String INIT = """
            #!/bin/sh
            trap 'exit 0' TERM INT
            while :; do sleep 2147483647 & wait $! || :; done
            """;

    private final Path lxcpath;
    private final Set<String> names = new LinkedHashSet<>();

    private ScratchLxc(Path lxcpath) {
        this.lxcpath = lxcpath;
    }

    static ScratchLxc create() throws IOException {
        Path dir = Files.createTempDirectory("phoenix-cast-lxc-it-");
        // an unprivileged container's root (host uid 100000) must pass through to its rootfs
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return new ScratchLxc(dir);
    }

    Path lxcpath() {
        return lxcpath;
    }

    /** Writes a busybox rootfs and a config (see platform-notes.md); unprivileged maps 0 → 100000. */
    void define(String name, boolean unprivileged) throws IOException {
        Path dir = lxcpath.resolve(name);
        Path rootfs = dir.resolve("rootfs");
        names.add(name);
        for (String d : List.of("bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "root", "run")) {
            Files.createDirectories(rootfs.resolve(d));
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
        for (String applet : List.of("sh", "sleep", "cat", "ls", "mount")) {
            Files.createSymbolicLink(rootfs.resolve("bin").resolve(applet), Path.of("busybox"));
        }
        Files.writeString(rootfs.resolve("sbin/init"), INIT);
        Files.setPosixFilePermissions(rootfs.resolve("sbin/init"), PosixFilePermissions.fromString("rwxr-xr-x"));
        StringBuilder config = new StringBuilder("lxc.include = /usr/share/lxc/config/common.conf\n");
        if (unprivileged) {
            SubordinateIds.ensureRootRange("LxcAdapterIT");
            config.append("lxc.include = /usr/share/lxc/config/userns.conf\n")
                    .append("lxc.idmap = u 0 100000 65536\n")
                    .append("lxc.idmap = g 0 100000 65536\n");
            run(true, "chown", "-R", "-h", "100000:100000", rootfs.toString());
        }
        config.append("lxc.rootfs.path = dir:").append(rootfs).append('\n')
                .append("lxc.uts.name = ").append(name).append('\n')
                .append("lxc.net.0.type = empty\n")
                .append("lxc.init.cmd = /sbin/init\n")
                .append("lxc.signal.halt = SIGTERM\n")
                .append("lxc.tty.max = 0\n")
                .append("lxc.console.path = none\n");
        Files.writeString(dir.resolve("config"), config);
    }

    /** lxc-start -d; LXC returns once the container is RUNNING. */
    void start(String name) throws IOException {
        run(true, "lxc-start", "--lxcpath=" + lxcpath, "--name=" + name, "-d",
                "--logfile=" + lxcpath.resolve(name).resolve("start.log"), "--logpriority=WARN");
    }

    /** lxc-stop (SIGTERM to init, 10 s), then lxc-stop -k if that failed. */
    void stop(String name) throws IOException {
        String soft = run(false, "lxc-stop", "--lxcpath=" + lxcpath, "--name=" + name, "--timeout=10");
        if (soft != null) return;
        run(true, "lxc-stop", "--lxcpath=" + lxcpath, "--name=" + name, "--kill");
    }

    /** The init PID as lxc-info reports it. */
    int pid(String name) throws IOException {
        String out = run(true, "lxc-info", "--lxcpath=" + lxcpath, "--name=" + name, "-p", "-H").strip();
        if (out.isEmpty()) throw new IOException(name + " is not running");
        return Integer.parseInt(out);
    }

    /** lxc-monitor -Q: lxc-monitord for this lxcpath quits, and with it every lxc-monitor client. */
    void quitMonitord() throws IOException {
        run(true, "lxc-monitor", "--lxcpath=" + lxcpath, "--quit");
    }

    /** Runs a tool; its output, or null (failOnError false) / an IOException when it failed. */
    private static String run(boolean failOnError, String... argv) throws IOException {
        // Output goes to a file: lxc-start -d leaves a daemon behind that must not hold our pipe.
        File out = File.createTempFile("phoenix-cast-lxc-it-", ".out");
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(TOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", argv) + " timed out");
            }
            String text = Files.readString(out.toPath(), StandardCharsets.UTF_8);
            if (p.exitValue() == 0) return text;
            if (!failOnError) return null;
            throw new IOException(String.join(" ", argv) + " exited with status " + p.exitValue() + ": " + text);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            Files.deleteIfExists(out.toPath());
        }
    }

    @Override
    public void close() {
        List<String> problems = new ArrayList<>();
        for (String name : names) {
            try {
                run(false, "lxc-stop", "--lxcpath=" + lxcpath, "--name=" + name, "--kill");
                run(false, "lxc-destroy", "--lxcpath=" + lxcpath, "--name=" + name);
            } catch (IOException | RuntimeException e) {
                problems.add(name + ": " + e.getMessage());
            }
        }
        try {
            run(false, "lxc-monitor", "--lxcpath=" + lxcpath, "--quit");
        } catch (IOException | RuntimeException e) {
            problems.add("lxc-monitor --quit: " + e.getMessage());
        }
        // LXC keeps its monitor FIFO and lock files under /run/lxc/<lxcpath> and /run/lxc/lock/<lxcpath>.
        for (Path dir : List.of(lxcpath, Path.of("/run/lxc" + lxcpath), Path.of("/run/lxc/lock" + lxcpath))) {
            try {
                deleteTree(dir);
            } catch (IOException | RuntimeException e) {
                problems.add("delete " + dir + ": " + e);
            }
        }
        if (!problems.isEmpty()) System.err.println("ScratchLxc cleanup problems: " + problems);
    }

    /** Deletes a tree without following symlinks or crossing into another file system. */
    static void deleteTree(Path top) throws IOException {
        if (!Files.exists(top, LinkOption.NOFOLLOW_LINKS)) return;
        Object device = Files.getAttribute(top, "unix:dev", LinkOption.NOFOLLOW_LINKS);
        Files.walkFileTree(top, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (!device.equals(Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS))) {
                    throw new IOException("refusing to delete across a file system boundary at " + dir);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                if (failure != null) throw failure;
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
