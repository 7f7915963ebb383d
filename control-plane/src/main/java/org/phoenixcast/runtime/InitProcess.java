package org.phoenixcast.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.phoenixcast.linux.ProcessStat;
import org.phoenixcast.model.ContainerName;

/**
 * A sandbox's init as seen from the host through /proc: whether a PID still names that init,
 * and signalling it.
 *
 * <p>Both the setup shell and the init it execs run as {@code /bin/sh -c SCRIPT MARKER NAME ...},
 * so {@code /proc/PID/cmdline} carries the marker and the sandbox name at fixed positions. That
 * is how a pid file naming a dead, possibly reused PID is recognised as "stopped".
 * NOTE: a process may forge its argv; a guest of another sandbox that got the very PID number
 * could pose as this init. The sandbox is not a security boundary against its own root anyway
 * (see {@link Sandboxes}); pidfds from the native layer would close this gap.
 */
final class InitProcess {
    /** argv[0] of the sandbox's shells ($0 of {@code sh -c}); identifies them in /proc. */
    static final String MARKER = "phoenix-cast-sandbox";
    /**
     * The setup shell writes the pid file and then execs the init loop; while the kernel swaps
     * the image, /proc/PID/cmdline reads empty for a moment. A few 1 ms retries cover that.
     */
    private static final int EMPTY_CMDLINE_RETRIES = 20;

    private InitProcess() {}

    /** True if {@code pid} is a live (not zombie) process that is the init of sandbox {@code name}. */
    static boolean isInitOf(int pid, ContainerName name) {
        Path cmdlineFile = Path.of("/proc", Integer.toString(pid), "cmdline");
        for (int attempt = 0; attempt < EMPTY_CMDLINE_RETRIES; attempt++) {
            if (!isLive(pid)) return false;
            byte[] cmdline;
            try {
                cmdline = Files.readAllBytes(cmdlineFile);
            } catch (IOException e) {
                return false;
            }
            if (cmdline.length > 0) {
                String[] argv = new String(cmdline, StandardCharsets.UTF_8).split("\0");
                return argv.length >= 5 && argv[1].equals("-c") && argv[3].equals(MARKER)
                        && argv[4].equals(name.value());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return false;
    }

    /** True while /proc/PID exists and is not a zombie or dead entry waiting to be reaped. */
    static boolean isLive(int pid) {
        try {
            return ProcessStat.read(pid).filter(ProcessStat::running).isPresent();
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }

    /** How {@link #signal} asks an init to end. */
    enum Stop {
        /** SIGTERM: the init's trap exits, the kernel then kills the rest of its PID namespace. */
        GRACEFUL,
        /** SIGKILL: always delivered to a namespace init from its parent namespace. */
        FORCED
    }

    /**
     * Signals {@code pid}. ProcessHandle re-checks the start time it saw in {@code of()} before
     * signalling, which narrows (NOTE: does not close) the window in which a PID reused after
     * {@link #isInitOf} would be signalled; a pidfd would close it.
     */
    static void signal(int pid, Stop how) {
        ProcessHandle.of(pid).ifPresent(h -> {
            if (how == Stop.FORCED) h.destroyForcibly();
            else h.destroy();
        });
    }
}
