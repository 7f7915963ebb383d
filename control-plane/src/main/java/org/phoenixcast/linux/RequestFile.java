package org.phoenixcast.linux;

/**
 * A request file read from a drop directory. {@code inode} and {@code ctimeNanos} identify the
 * file so that castd recognises one it already queued when it restarts between commit and unlink.
 */
public record RequestFile(String name, long inode, long ctimeNanos, byte[] content) {}
