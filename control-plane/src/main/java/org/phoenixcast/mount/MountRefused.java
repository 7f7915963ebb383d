package org.phoenixcast.mount;

/**
 * The kernel-level checks refused a mount: the target resolves through a symlink, the source
 * is a pseudo filesystem or a castd control directory, a path is not a directory, and so on.
 * The message is one line fit for the guest's reply.
 */
public class MountRefused extends Exception {
    private static final long serialVersionUID = 1L;

    public MountRefused(String reason) {
        super(reason);
    }
}
