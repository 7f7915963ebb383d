package org.phoenixcast.linux;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A reference container for privileged tests: unshare --mount --uts --ipc --pid --fork
 * --propagation private, a private tmpfs root with the host's /usr bound read-only (and the
 * merged-usr symlinks), a fresh /proc, /dev/null and /dev/zero, pivot_root, then {@code exec sleep infinity} as PID 1.
 * close() kills it; its mounts vanish with its mount namespace.
 */
public final class TestContainer implements AutoCloseable {
    private static final String SETUP = String.join("\n",
            "set -e",
            "R=\"$1\"",
            "mount -t tmpfs -o size=16m,mode=0755 pc-test-root \"$R\"",
            "mkdir \"$R/usr\" \"$R/proc\" \"$R/tmp\" \"$R/old\"",
            "mount --bind /usr \"$R/usr\"",
            "mount -o remount,bind,ro \"$R/usr\"",
            "for d in bin sbin lib lib64; do",
            "  if [ -L \"/$d\" ]; then ln -s \"$(readlink \"/$d\")\" \"$R/$d\";",
            "  elif [ -d \"/$d\" ]; then mkdir \"$R/$d\"; mount --bind \"/$d\" \"$R/$d\"; mount -o remount,bind,ro \"$R/$d\"; fi",
            "done",
            "mount -t proc proc \"$R/proc\"",
            "mkdir \"$R/dev\"",
            "for n in null zero; do touch \"$R/dev/$n\"; mount --bind \"/dev/$n\" \"$R/dev/$n\"; done",
            "cd \"$R\"",
            "pivot_root . old",
            "umount -l /old",
            "rmdir /old",
            "exec sleep infinity");

    private final Process unshare;
    private final Path rootDir;
    private final int pid;

    private TestContainer(Process unshare, Path rootDir, int pid) {
        this.unshare = unshare;
        this.rootDir = rootDir;
        this.pid = pid;
    }

    public static TestContainer start() throws IOException {
        Path root = Files.createTempDirectory("pc-test-ct");
        Process p = new ProcessBuilder("unshare", "--mount", "--uts", "--ipc", "--pid", "--fork",
                "--propagation", "private", "sh", "-c", SETUP, "sh", root.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            int[] child = new int[1];
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> {
                if (!p.isAlive()) throw new IllegalStateException("unshare exited " + p.exitValue());
                child[0] = initPid(p.pid());
                return child[0] > 0;
            });
            return new TestContainer(p, root, child[0]);
        } catch (RuntimeException e) {
            p.destroyForcibly();
            Files.deleteIfExists(root);
            throw e;
        }
    }

    /** The child of unshare once it runs sleep (setup finished), else -1. */
    private static int initPid(long unsharePid) throws IOException {
        Path children = Path.of("/proc/" + unsharePid + "/task/" + unsharePid + "/children");
        if (!Files.exists(children)) return -1;
        String text = Files.readString(children).trim();
        if (text.isEmpty()) return -1;
        int child = Integer.parseInt(text.split(" ")[0]);
        try {
            String comm = Files.readString(Path.of("/proc/" + child + "/comm")).trim();
            return comm.equals("sleep") ? child : -1;
        } catch (IOException gone) {
            return -1;
        }
    }

    /** Host PID of the container's init. */
    public int pid() {
        return pid;
    }

    /** Runs a shell command inside the container's mount and PID namespaces (so background jobs die with it). */
    public Result sh(String script) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Integer.toString(pid), "-m", "-p", "-r", "-w",
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
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** Like {@link #sh} but fails unless the exit code is 0; returns stdout. */
    public String check(String script) throws IOException {
        Result r = sh(script);
        if (r.exit() != 0) throw new IOException("'" + script + "' exited " + r.exit() + ": " + r.stderr());
        return r.stdout();
    }

    /** The container's mountinfo as read by the host (for assertions only). */
    public String mountinfo() throws IOException {
        return Files.readString(Path.of("/proc/" + pid + "/mountinfo"));
    }

    /** Kills init (and so the whole PID namespace) and waits for unshare to exit. */
    public void kill() {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        try {
            unshare.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        unshare.destroyForcibly();
    }

    @Override
    public void close() {
        kill();
        try {
            Files.deleteIfExists(rootDir);
        } catch (IOException ignored) {
            // a stale empty directory in /tmp is harmless
        }
    }

    public record Result(int exit, String stdout, String stderr) {}
}
