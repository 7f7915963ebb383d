package org.phoenixcast.discovery.lxc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.phoenixcast.linux.ProcessStat;

/**
 * A PID that LXC reported as a container's init, checked against the host kernel's /proc: it
 * must be PID 1 of a PID namespace below the host's (the last NSpid entry is 1), not a monitor
 * or any other host process. Its /proc starttime is kept, so castd refuses the PID if it is
 * reused before castd opens its pidfd, and a cached entry is recognised as the same process.
 *
 * <p>Security: /proc/PID/stat and status are written by the kernel; the guest cannot change the
 * fields read here (its comm is skipped by parsing after the last ')').
 * NOTE: the PID could be reused between lxc-info's answer and the read of /proc/PID/stat; the
 * new process would also have to be PID 1 of some PID namespace (another container's init)
 * to pass. The same residual race exists for every runtime that hands out PIDs.
 */
record NamespaceInit(int pid, long startTime) {
    private static final Path PROC = Path.of("/proc");

    /**
     * The checked init, or empty if the PID is gone (its /proc files vanish or fail with ESRCH
     * mid-read), has exited, or is not a namespace's init.
     */
    static Optional<NamespaceInit> read(int pid) {
        try {
            // stat first: if the PID is reused between the two reads, castd's starttime check
            // refuses the newcomer, whichever process the NSpid line describes.
            Optional<ProcessStat> stat = ProcessStat.read(pid);
            if (stat.isEmpty()) return Optional.empty();
            String status = Files.readString(PROC.resolve(Integer.toString(pid)).resolve("status"));
            if (!isNamespaceInit(status) || !stat.get().running()) return Optional.empty();
            return Optional.of(new NamespaceInit(pid, stat.get().startTime()));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** True if {@code pid} is a live process that is not the init of a PID namespace below the host's. */
    static boolean isSomeOtherProcess(int pid) {
        try {
            return !isNamespaceInit(Files.readString(PROC.resolve(Integer.toString(pid)).resolve("status")));
        } catch (IOException e) {
            return false;
        }
    }

    /** True if {@code pid} still names the process this was read from, and it has not exited. */
    boolean stillRuns() {
        try {
            return ProcessStat.read(pid).filter(s -> s.running() && s.startTime() == startTime).isPresent();
        } catch (IOException | IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * True if the NSpid line of /proc/PID/status has an entry per PID namespace level and the
     * innermost one is 1: the process is the init of a PID namespace below the reader's.
     */
    static boolean isNamespaceInit(String status) {
        for (String line : status.split("\n")) {
            if (!line.startsWith("NSpid:")) continue;
            String[] ids = line.substring("NSpid:".length()).strip().split("\\s+");
            return ids.length >= 2 && ids[ids.length - 1].equals("1");
        }
        return false; // kernels before 4.1 have no NSpid: refuse rather than guess
    }
}
