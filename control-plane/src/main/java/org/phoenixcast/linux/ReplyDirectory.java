package org.phoenixcast.linux;

/**
 * A host-owned directory castd writes into (a guest's /syscmd and its replies/), held as a fd.
 * Writes are atomic: a temporary file made with O_CREAT|O_EXCL|O_NOFOLLOW, then renameat over
 * the final name, so a reader sees the old file or the whole new one, and a planted symlink is
 * replaced, never followed.
 */
public interface ReplyDirectory extends AutoCloseable {
    /** Names of the entries (UTF-8 decoded, invalid bytes as U+FFFD). */
    java.util.List<String> list() throws LinuxException;

    void writeAtomically(String name, byte[] content, int mode) throws LinuxException;

    void remove(String name) throws LinuxException;

    /** Opens (creating with mkdirat if missing) a subdirectory, never following a symlink. */
    ReplyDirectory subdirectory(String name) throws LinuxException;

    @Override
    void close();
}
