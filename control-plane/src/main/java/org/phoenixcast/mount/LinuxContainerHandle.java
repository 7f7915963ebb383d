package org.phoenixcast.mount;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.phoenixcast.linux.Errno;
import org.phoenixcast.linux.Fd;
import org.phoenixcast.linux.Kernel;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.linux.MountApi;

/**
 * A container's init pinned by a pidfd. Order matters: pidfd first, then /proc/PID and its
 * root, then a liveness check through the pidfd. If the process had died and its PID been
 * reused before the /proc fds were opened, the pidfd (which refers to the original process)
 * reports it dead and the handle is refused; once open, the /proc/PID fd keeps referring to
 * the original process even after a PID reuse (it then returns ESRCH/ENOENT).
 */
final class LinuxContainerHandle implements ContainerHandle {
    private final int pid;
    private final long startTime;
    private final Fd pidfd;
    private final Fd procDir;
    private final Fd root;

    private LinuxContainerHandle(int pid, long startTime, Fd pidfd, Fd procDir, Fd root) {
        this.pid = pid;
        this.startTime = startTime;
        this.pidfd = pidfd;
        this.procDir = procDir;
        this.root = root;
    }

    static LinuxContainerHandle open(int pid) throws LinuxException {
        if (pid <= 0) throw new LinuxException("pidfd_open", "pid " + pid, Errno.EINVAL, Errno.describe(Errno.EINVAL));
        Fd pidfd = MountApi.pidfdOpen(pid);
        Fd proc = null;
        Fd root = null;
        try {
            proc = Kernel.openHost(Path.of("/proc/" + pid), Kernel.O_PATH | Kernel.O_DIRECTORY);
            long startTime;
            try (Fd stat = Kernel.openat(proc, "stat", Kernel.O_RDONLY, 0)) {
                startTime = parseStartTime(new String(Kernel.readAtMost(stat, 4096), StandardCharsets.UTF_8));
            }
            // Following the /proc/PID/root magic link from the host is intended: it is the
            // kernel's view of that process's root, whatever the guest did to its file system.
            root = Kernel.openat(proc, "root", Kernel.O_PATH | Kernel.O_DIRECTORY, 0);
            if (!MountApi.isAlive(pidfd)) {
                throw new LinuxException("pidfd_send_signal", "pid " + pid, Errno.ESRCH, Errno.describe(Errno.ESRCH));
            }
            return new LinuxContainerHandle(pid, startTime, pidfd, proc, root);
        } catch (LinuxException | RuntimeException e) {
            pidfd.close();
            if (proc != null) proc.close();
            if (root != null) root.close();
            throw e;
        }
    }

    /** Field 22 of /proc/PID/stat; the comm field (2) may contain spaces and ')' so parse after the last ')'. */
    static long parseStartTime(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) throw new IllegalArgumentException("malformed /proc/PID/stat");
        String[] fields = stat.substring(close + 2).trim().split(" ");
        return Long.parseLong(fields[22 - 3]);
    }

    @Override
    public int pid() {
        return pid;
    }

    @Override
    public long startTime() {
        return startTime;
    }

    @Override
    public boolean isAlive() {
        try {
            return pidfd.isOpen() && MountApi.isAlive(pidfd);
        } catch (LinuxException e) {
            return false;
        }
    }

    @Override
    public boolean rootIsHostRoot() {
        try (Fd hostRoot = org.phoenixcast.linux.Kernel.openHost(java.nio.file.Path.of("/"),
                org.phoenixcast.linux.Kernel.O_PATH | org.phoenixcast.linux.Kernel.O_DIRECTORY)) {
            org.phoenixcast.linux.Stat host = org.phoenixcast.linux.Kernel.stat(hostRoot);
            org.phoenixcast.linux.Stat mine = org.phoenixcast.linux.Kernel.stat(root);
            return host.inode() == mine.inode() && host.devMajor() == mine.devMajor() && host.devMinor() == mine.devMinor();
        } catch (LinuxException e) {
            return false;
        }
    }

    Fd pidfd() {
        return pidfd;
    }

    Fd procDir() {
        return procDir;
    }

    Fd root() {
        return root;
    }

    @Override
    public void close() {
        root.close();
        procDir.close();
        pidfd.close();
    }

    @Override
    public String toString() {
        return "container pid " + pid;
    }
}
