package org.phoenixcast.linux;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A busybox container on a host directory (ext4 here), optionally user-namespaced the way
 * unprivileged LXC does it: the rootfs chowned to a base id, container ids 0..count-1 mapped to
 * host ids base.. . castd's tests need no /etc/subuid: a holder process {@code unshare --user}
 * gets its uid_map/gid_map written by this (host root) process, then {@code nsenter --user}
 * into it (becoming the namespace's root) runs {@code unshare --mount --pid --fork}, binds the
 * rootfs onto itself, mounts /proc, pivot_roots, installs busybox's applets and execs a
 * sleeping init. The holder exits once the container runs. The rootfs stays a host directory,
 * so tests read the on-disk owners of what the container writes.
 *
 * <p>{@link #sh} runs as the container's root (nsenter -U makes it uid 0 inside: host id
 * base), {@link #shAs} as another container uid. close() kills the container and deletes its
 * directory, also after a failed start.
 */
public final class UsernsTestContainer implements AutoCloseable {
    private static final String SETUP = String.join("\n",
            "set -eu",
            "R=$1",
            "mount --bind \"$R\" \"$R\"",
            "mount -t proc proc \"$R/proc\"",
            "mount --bind /dev/null \"$R/dev/null\"",
            "cd \"$R\"",
            "pivot_root . .",
            "/bin/busybox umount -l .",
            "/bin/busybox --install -s /bin",
            "echo ready",
            "exec /bin/sh -c 'trap \"exit 0\" TERM; while :; do sleep 2147483647 & wait $! || :; done'");

    private final Path dir;
    private final long base;
    private Process unshare;
    private int pid;

    private UsernsTestContainer(Path dir, long base) {
        this.dir = dir;
        this.base = base;
    }

    /** A user-namespaced container: its ids 0..count-1 are host ids base..base+count-1. */
    public static UsernsTestContainer start(long base, long count) throws IOException {
        if (base <= 0) throw new IllegalArgumentException("base must be above 0: " + base);
        return start(base, count, "pc-userns-ct");
    }

    /** The same busybox container without a user namespace of its own (root is host root). */
    public static UsernsTestContainer privileged() throws IOException {
        return start(0, 0, "pc-priv-ct");
    }

    private static UsernsTestContainer start(long base, long count, String prefix) throws IOException {
        UsernsTestContainer c = new UsernsTestContainer(Files.createTempDirectory(prefix), base);
        try {
            c.buildRootfs();
            c.launch(count);
            return c;
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private void buildRootfs() throws IOException {
        Path root = rootDir();
        // the namespace's root (host id base) must reach its rootfs through this directory
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String d : List.of("bin", "proc", "dev", "tmp", "data")) Files.createDirectories(root.resolve(d));
        Files.setPosixFilePermissions(root.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.createFile(root.resolve("dev/null"));
        Path busybox = null;
        for (String candidate : List.of("/bin/busybox", "/usr/bin/busybox")) {
            if (Files.isExecutable(Path.of(candidate))) busybox = Path.of(candidate).toRealPath();
        }
        if (busybox == null) throw new IOException("no busybox (package busybox-static)");
        Files.copy(busybox, root.resolve("bin/busybox"));
        Files.setPosixFilePermissions(root.resolve("bin/busybox"), PosixFilePermissions.fromString("rwxr-xr-x"));
        if (base > 0) run(List.of("chown", "-R", "-h", base + ":" + base, root.toString()));
    }

    private void launch(long count) throws IOException {
        Process holder = null;
        try {
            List<String> cmd = new ArrayList<>();
            if (base > 0) {
                holder = new ProcessBuilder("unshare", "--user", "--", "/bin/sh", "-c", "echo ready; read -r _ || true")
                        .redirectErrorStream(true).start();
                expectReady(holder, "user namespace holder");
                Path proc = Path.of("/proc/" + holder.pid());
                String map = "0 " + base + " " + count + "\n";
                Files.writeString(proc.resolve("uid_map"), map);
                Files.writeString(proc.resolve("gid_map"), map);
                cmd.addAll(List.of("nsenter", "--user=" + proc.resolve("ns/user"), "--"));
            }
            cmd.addAll(List.of("unshare", "--mount", "--pid", "--fork", "--kill-child", "--propagation", "private",
                    "--", "/bin/sh", "-c", SETUP, "setup", rootDir().toString()));
            unshare = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            expectReady(unshare, "container");
            String children = Files.readString(Path.of("/proc/" + unshare.pid() + "/task/" + unshare.pid() + "/children"));
            pid = Integer.parseInt(children.trim().split(" ")[0]);
        } finally {
            if (holder != null) {
                holder.getOutputStream().close();
                try {
                    if (!holder.waitFor(5, TimeUnit.SECONDS)) holder.destroyForcibly();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static void expectReady(Process p, String what) throws IOException {
        InputStream out = p.getInputStream();
        StringBuilder line = new StringBuilder();
        for (int ch; (ch = out.read()) >= 0 && ch != '\n'; ) line.append((char) ch);
        if (!"ready".contentEquals(line)) {
            String rest = new String(out.readNBytes(4096), StandardCharsets.UTF_8);
            throw new IOException(what + " failed to start: " + line + rest);
        }
    }

    /** Host PID of the container's init. */
    public int pid() {
        return pid;
    }

    /** The rootfs as a host directory (for reading on-disk owners). */
    public Path rootDir() {
        return dir.resolve("root");
    }

    /** The host path of {@code insidePath} when it lies on the rootfs (not on a mount inside). */
    public Path onDisk(String insidePath) {
        return rootDir().resolve(insidePath.replaceFirst("^/+", ""));
    }

    /** Runs a busybox shell script as the container's root. */
    public TestContainer.Result sh(String script) throws IOException {
        return exec(0, 0, script);
    }

    /** Runs a busybox shell script as container uid/gid {@code id}. */
    public TestContainer.Result shAs(int id, String script) throws IOException {
        return exec(id, id, script);
    }

    /** Like {@link #sh} but fails unless the exit code is 0; returns stdout. */
    public String check(String script) throws IOException {
        TestContainer.Result r = sh(script);
        if (r.exit() != 0) throw new IOException("'" + script + "' exited " + r.exit() + ": " + r.stderr());
        return r.stdout();
    }

    private TestContainer.Result exec(int uid, int gid, String script) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Integer.toString(pid)));
        if (base > 0) cmd.add("-U");
        cmd.addAll(List.of("-m", "-p", "-r", "-w", "-S", Integer.toString(uid), "-G", Integer.toString(gid),
                "--", "/bin/sh", "-c", script));
        Process p = new ProcessBuilder(cmd).start();
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + script);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return new TestContainer.Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** The container's mountinfo line for {@code mountPoint} (the topmost), as the host reads it. */
    public String mountinfoLine(String mountPoint) throws IOException {
        return Files.readString(Path.of("/proc/" + pid + "/mountinfo")).lines()
                .filter(l -> l.split(" ")[4].equals(mountPoint)).reduce((a, b) -> b).orElse("");
    }

    private static void run(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) throw new IOException(cmd + " failed: " + out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    @Override
    public void close() {
        if (pid > 0) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        if (unshare != null) {
            try {
                if (!unshare.waitFor(10, TimeUnit.SECONDS)) unshare.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover directory in /tmp is harmless; the mounts died with the namespace
        }
    }

    @Override
    public String toString() {
        return (base > 0 ? "userns container (base " + base + ")" : "privileged container") + " pid " + pid;
    }
}
