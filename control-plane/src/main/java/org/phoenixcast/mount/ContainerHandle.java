package org.phoenixcast.mount;

/**
 * A running container pinned by a pidfd of its init, plus fds of /proc/PID and its root
 * directory opened while the pidfd proved the process alive, so PID reuse can never redirect
 * castd to another process. Closing releases the fds; it does not stop the container.
 */
public interface ContainerHandle extends AutoCloseable {
    int pid();

    /** /proc/PID/stat starttime captured when the handle was opened. */
    long startTime();

    /**
     * The id mappings of the init's user namespace, read through the pinned /proc/PID when the
     * handle opened: {@link UserNamespace#INITIAL} for a container without a user namespace of
     * its own (privileged LXC, Docker by default, castd's sandboxes), ranges for unprivileged
     * LXC, {@code systemd-nspawn -U}, Podman or runc with uid maps. Shares into and out of such
     * containers are idmapped so that owners show alike on both sides (see {@link MountFacade#inject}).
     */
    UserNamespace userNamespace();

    /** False once the init process exited (pidfd readable / pidfd_send_signal 0 gives ESRCH). */
    boolean isAlive();

    /**
     * True while the process's root directory is the host's own root (same device and inode):
     * a runtime's init that has not entered its container's root yet (or no container at all).
     * castd must not set up /.syscmd through such a root: it would land on the host.
     */
    default boolean rootIsHostRoot() {
        return false;
    }

    @Override
    void close();
}
