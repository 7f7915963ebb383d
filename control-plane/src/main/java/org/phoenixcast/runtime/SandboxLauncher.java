package org.phoenixcast.runtime;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Starts one sandbox as a detached process tree and waits until it is fully set up.
 *
 * <p>Shape: {@code setsid --wait unshare --mount --uts --ipc --pid --fork --kill-child
 * --propagation private -- /bin/sh -c SETUP ...}. unshare's child is PID 1 of the new PID
 * namespace; it builds the mounts, pivots into the root, writes its host PID to the pid file and
 * execs the init loop. setsid detaches it from castctl's session and terminal; stdio goes to
 * console.log, so castctl may exit. --kill-child ties the sandbox's life to unshare's, so killing
 * the launcher during a failed start leaves nothing behind.
 */
final class SandboxLauncher {
    /** Measured starts take 30-70 ms; ten seconds only bounds a wedged mount. */
    static final Duration READY_TIMEOUT = Duration.ofSeconds(10);
    /** Poll interval while waiting for the pid file: small against the ~50 ms a start takes. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /** How much of console.log a failed start quotes. */
    private static final int MAX_CONSOLE_BYTES = 4000;

    static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /**
     * The sandbox's PID 1 ($0 marker, $1 name, $2 its host PID; fd 3 is the host-only state
     * directory). It installs its TERM trap first (PID 1 of a namespace drops signals it has no
     * handler for, so stop() could only SIGKILL it otherwise), then publishes the pid file, so a
     * sandbox whose pid file exists is both set up and stoppable. The pid file goes through fd 3
     * with a rename, so readers never see it half-written. Its {@code wait} also reaps orphans
     * reparented to it (dash waits for any child).
     */
    static final String INIT_SCRIPT = """
            trap 'exit 0' TERM INT
            printf '%s\\n' "$2" > /proc/self/fd/3/pid.tmp || exit 1
            mv -f /proc/self/fd/3/pid.tmp /proc/self/fd/3/pid || exit 1
            exec 3<&-
            while :; do sleep 2147483647 & wait $! || :; done
            """;

    /**
     * Runs as PID 1 of the new namespaces, still seeing the host's mounts (a private copy).
     * Arguments: $0 marker, $1 name, $2 state dir, $3 root, $4 init script, then the host system
     * directories to bind read-only. It keeps the host-only state directory open as fd 3 across
     * pivot_root for the init, which writes the pid file.
     */
    static final String SETUP_SCRIPT = """
            set -eu
            name=$1 statedir=$2 root=$3 init=$4
            shift 4
            trap 'echo "phoenix-cast-sandbox: setup of $name failed" >&2' EXIT
            # This shell's host PID, read from the host's procfs before our own /proc hides it.
            read -r hostpid _ < /proc/self/stat
            exec 3< "$statedir"
            mount --bind "$root" "$root"
            for d in "$@"; do
              mount --bind "/$d" "$root/$d"
              mount -o remount,bind,ro,nosuid,nodev "$root/$d"
            done
            mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/tmp"
            mount -t tmpfs -o mode=0755,nosuid,nodev,size=64m tmpfs "$root/run"
            mount -t tmpfs -o mode=0755,nosuid,size=64k tmpfs "$root/dev"
            for n in null zero full random urandom tty; do
              : > "$root/dev/$n"
              mount --bind "/dev/$n" "$root/dev/$n"
            done
            mkdir -m 0755 "$root/dev/pts"
            mkdir -m 1777 "$root/dev/shm"
            mount -t tmpfs -o mode=1777,nosuid,nodev,size=64m tmpfs "$root/dev/shm"
            ln -s /proc/self/fd "$root/dev/fd"
            ln -s /proc/self/fd/0 "$root/dev/stdin"
            ln -s /proc/self/fd/1 "$root/dev/stdout"
            ln -s /proc/self/fd/2 "$root/dev/stderr"
            mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
            printf '%s' "$name" > "$root/proc/sys/kernel/hostname"
            cd "$root"
            pivot_root . .
            umount -l .
            cd /
            trap - EXIT
            exec /bin/sh -c "$init" "$0" "$name" "$hostpid"
            """;

    private SandboxLauncher() {}

    static List<String> command(SandboxLayout layout, List<String> binds) {
        List<String> cmd = new ArrayList<>(List.of(
                "setsid", "--wait", "unshare", "--mount", "--uts", "--ipc", "--pid", "--fork", "--kill-child",
                "--propagation", "private", "--", "/bin/sh", "-c", SETUP_SCRIPT, InitProcess.MARKER,
                layout.name().value(), layout.dir().toString(), layout.root().toString(), INIT_SCRIPT));
        cmd.addAll(binds);
        return cmd;
    }

    /**
     * Launches the sandbox and returns its init's host PID once the pid file names it.
     * The pid file must not exist when this is called.
     */
    static int launch(SandboxLayout layout, List<String> binds) throws SandboxException {
        Path console = layout.console();
        long consoleStart;
        Process launcher;
        try {
            if (!Files.exists(console)) {
                Files.createFile(console);
                SandboxRootfs.chmod(console, 0600);
            }
            consoleStart = Files.size(console);
            ProcessBuilder pb = new ProcessBuilder(command(layout, binds))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(console.toFile()))
                    .redirectErrorStream(true);
            Map<String, String> env = pb.environment();
            env.clear();
            env.put("PATH", PATH);
            env.put("HOME", "/root");
            launcher = pb.start();
        } catch (IOException e) {
            throw new SandboxException(layout.name(), "cannot launch unshare", e);
        }
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            if (Files.exists(layout.pidFile())) {
                int pid = readPid(layout);
                if (InitProcess.isInitOf(pid, layout.name())) return pid;
                if (!launcher.isAlive() || System.nanoTime() - deadline > 0) {
                    throw failed(layout, launcher, consoleStart, "pid file names " + pid + ", which is not its init");
                }
            }
            if (!launcher.isAlive()) {
                throw failed(layout, launcher, consoleStart, "setup exited with code " + launcher.exitValue());
            }
            if (System.nanoTime() - deadline > 0) {
                throw failed(layout, launcher, consoleStart, "not ready within " + READY_TIMEOUT);
            }
            LockSupport.parkNanos(POLL_NANOS);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw failed(layout, launcher, consoleStart, "interrupted while waiting for it to start");
            }
        }
    }

    /** Reads the pid file; the sandbox renames it into place, so it is never partly written. */
    static int readPid(SandboxLayout layout) throws SandboxException {
        String text;
        try {
            text = Files.readString(layout.pidFile(), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            throw new SandboxException(layout.name(), "cannot read pid file", e);
        }
        try {
            int pid = Integer.parseInt(text);
            if (pid > 1) return pid;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new SandboxException(layout.name(), "pid file " + layout.pidFile() + " holds no PID: '" + text + "'");
    }

    /** Kills the half-started sandbox (--kill-child takes its init along) and explains why. */
    private static SandboxException failed(SandboxLayout layout, Process launcher, long consoleStart, String why) {
        launcher.destroyForcibly();
        try {
            launcher.waitFor(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(layout.pidFile());
        } catch (IOException e) {
            // the message below is what matters; a stale pid file is validated on every read
        }
        return new SandboxException(layout.name(), "start failed: " + why + "; console: "
                + consoleTail(layout.console(), consoleStart));
    }

    private static String consoleTail(Path console, long from) {
        try (RandomAccessFile f = new RandomAccessFile(console.toFile(), "r")) {
            long start = Math.max(from, f.length() - MAX_CONSOLE_BYTES);
            byte[] buf = new byte[(int) (f.length() - start)];
            f.seek(start);
            f.readFully(buf);
            String text = new String(buf, StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? "(empty)" : text;
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}
