package org.phoenixcast.linux;

import java.util.List;

/**
 * A guest's drop directory, opened by castd on the host side and held as a directory fd.
 * Guests create any file type and any name in it; every method here works relative to the
 * held fd and never follows a symlink.
 */
public interface DropDirectory extends AutoCloseable {

    /** Names of entries, in no particular order; names that are not valid UTF-8 come back with U+FFFD. */
    List<String> list() throws LinuxException;

    /**
     * Reads one request file: openat(O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_NOCTTY|O_CLOEXEC), fstat
     * must show a regular file with one link and at most {@code maxBytes} bytes; reads at most
     * maxBytes + 1 bytes. A FIFO, socket, device, directory, symlink or hard link never blocks
     * and never gets read. A file some process has open for writing is not read either (a
     * request still being written): the read runs under a read lease, see {@link ReadLease}.
     *
     * @throws RequestFileRefused with a one-line reason when the entry is not an acceptable file
     * @throws RequestFileIncomplete when a process still has the file open for writing: leave it
     *                               and look again later (it is neither refused nor lost)
     * @throws LinuxException when the entry vanished (ENOENT) or another syscall failed
     */
    RequestFile read(String name, int maxBytes) throws LinuxException, RequestFileRefused, RequestFileIncomplete;

    /** Removes an entry of any kind (unlinkat; AT_REMOVEDIR is tried for directories). Missing is fine. */
    void remove(String name) throws LinuxException;

    @Override
    void close();
}
