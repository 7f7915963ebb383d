package org.phoenixcast.mount;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.phoenixcast.linux.Errno;
import org.phoenixcast.linux.Fd;
import org.phoenixcast.linux.Kernel;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.linux.MountApi;
import org.phoenixcast.linux.ProcessStat;

/**
 * A container's init pinned by a pidfd. Order matters: pidfd first, then /proc/PID and its
 * root, its user namespace and id maps, then a liveness check through the pidfd. If the process
 * had died and its PID been reused before the /proc fds were opened, the pidfd (which refers to
 * the original process) reports it dead and the handle is refused; once open, the /proc/PID fd
 * keeps referring to the original process even after a PID reuse (it then returns ESRCH/ENOENT),
 * so the maps are always read relative to it, never by a fresh /proc path.
 *
 * <p>The user namespace is read once, when the handle opens. The guest's init could move itself
 * into a nested user namespace later; that only ever narrows what its ids map to (a nested map is
 * a subset of its parent's host ids), and castd would then idmap for the namespace it read.
 */
final class LinuxContainerHandle implements ContainerHandle {
    private final int pid;
    private final long startTime;
    private final Fd pidfd;
    private final Fd procDir;
    private final Fd root;
    private final UserNamespace userNamespace;
    /** The init's ns/user, kept only when its maps are not the identity; else null. */
    private final Fd userNamespaceFd;

    private LinuxContainerHandle(int pid, long startTime, Fd pidfd, Fd procDir, Fd root, UserNamespace userNamespace,
                                 Fd userNamespaceFd) {
        this.pid = pid;
        this.startTime = startTime;
        this.pidfd = pidfd;
        this.procDir = procDir;
        this.root = root;
        this.userNamespace = userNamespace;
        this.userNamespaceFd = userNamespaceFd;
    }

    static LinuxContainerHandle open(int pid) throws LinuxException {
        if (pid <= 0) throw new LinuxException("pidfd_open", "pid " + pid, Errno.EINVAL, Errno.describe(Errno.EINVAL));
        Fd pidfd = MountApi.pidfdOpen(pid);
        Fd proc = null;
        Fd root = null;
        Fd userNs = null;
        try {
            proc = Kernel.openHost(Path.of("/proc/" + pid), Kernel.O_PATH | Kernel.O_DIRECTORY);
            long startTime;
            try (Fd stat = Kernel.openat(proc, "stat", Kernel.O_RDONLY, 0)) {
                startTime = ProcessStat.parse(pid, new String(Kernel.readAtMost(stat, 4096), StandardCharsets.ISO_8859_1))
                        .startTime();
            }
            // Following the /proc/PID/root magic link from the host is intended: it is the
            // kernel's view of that process's root, whatever the guest did to its file system.
            root = Kernel.openat(proc, "root", Kernel.O_PATH | Kernel.O_DIRECTORY, 0);
            userNs = Kernel.openat(proc, "ns/user", Kernel.O_RDONLY, 0);
            UserNamespace ids = readUserNamespace(proc, pid);
            try (Fd again = Kernel.openat(proc, "ns/user", Kernel.O_RDONLY, 0)) {
                if (Kernel.stat(again).inode() != Kernel.stat(userNs).inode()) {
                    throw new LinuxException("open", "/proc/" + pid + "/ns/user", Errno.EAGAIN,
                            "the process changed its user namespace while castd read it");
                }
            }
            if (!MountApi.isAlive(pidfd)) {
                throw new LinuxException("pidfd_send_signal", "pid " + pid, Errno.ESRCH, Errno.describe(Errno.ESRCH));
            }
            if (ids.isInitial()) {
                userNs.close();
                userNs = null;
            }
            return new LinuxContainerHandle(pid, startTime, pidfd, proc, root, ids, userNs);
        } catch (LinuxException | RuntimeException e) {
            pidfd.close();
            if (proc != null) proc.close();
            if (root != null) root.close();
            if (userNs != null) userNs.close();
            throw e;
        }
    }

    /** uid_map and gid_map, read relative to the pinned /proc/PID. */
    private static UserNamespace readUserNamespace(Fd proc, int pid) throws LinuxException {
        String uids = new String(Kernel.readAt(proc, "uid_map", 65536), StandardCharsets.US_ASCII);
        String gids = new String(Kernel.readAt(proc, "gid_map", 65536), StandardCharsets.US_ASCII);
        UserNamespace ns;
        try {
            ns = new UserNamespace(IdMap.parse(uids), IdMap.parse(gids));
        } catch (IllegalArgumentException e) {
            throw new LinuxException("read", "/proc/" + pid + "/uid_map", Errno.EINVAL, e.getMessage());
        }
        if (ns.uids().isEmpty() || ns.gids().isEmpty()) {
            // a runtime between unshare and writing the maps: try again at the next refresh
            throw new LinuxException("read", "/proc/" + pid + "/uid_map", Errno.EAGAIN,
                    "the user namespace has no id maps yet");
        }
        return ns.isInitial() ? UserNamespace.INITIAL : ns;
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

    @Override
    public UserNamespace userNamespace() {
        return userNamespace;
    }

    /** The init's user namespace (an nsfs fd), or null when it maps every id to itself. */
    Fd userNamespaceFd() {
        return userNamespaceFd;
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
        if (userNamespaceFd != null) userNamespaceFd.close();
        root.close();
        procDir.close();
        pidfd.close();
    }

    @Override
    public String toString() {
        return "container pid " + pid;
    }
}
