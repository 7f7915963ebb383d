package org.phoenixcast.linux;

import java.io.IOException;

/** A failed system call. errno, the operation and the path it concerned are fields, not only text. */
public class LinuxException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int errno;
    private final String operation;
    private final String path;

    public LinuxException(String operation, String path, int errno, String strerror) {
        super(operation + (path == null ? "" : " " + path) + ": " + strerror + " (errno " + errno + ")");
        this.errno = errno;
        this.operation = operation;
        this.path = path;
    }

    public int errno() {
        return errno;
    }

    public String operation() {
        return operation;
    }

    /** The path (or description of the fd) the call concerned, or null. */
    public String path() {
        return path;
    }
}
