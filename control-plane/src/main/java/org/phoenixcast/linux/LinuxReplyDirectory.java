package org.phoenixcast.linux;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * {@link ReplyDirectory} on a held directory fd. castd is the only writer; guests read it
 * (through a read-only bind). Should a name still be a symlink or FIFO a guest planted (e.g.
 * before the directory was made read-only for it), renameat replaces that entry: the
 * temporary file is created O_CREAT|O_EXCL|O_NOFOLLOW under a random name, so neither the
 * temporary nor the final name is ever followed.
 */
public final class LinuxReplyDirectory implements ReplyDirectory {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Fd dir;

    private LinuxReplyDirectory(Fd dir) {
        this.dir = dir;
    }

    public static LinuxReplyDirectory open(Path hostDirectory) throws LinuxException {
        return new LinuxReplyDirectory(Kernel.openHost(hostDirectory,
                Kernel.O_RDONLY | Kernel.O_DIRECTORY | Kernel.O_NOFOLLOW));
    }

    @Override
    public java.util.List<String> list() throws LinuxException {
        return DirectoryEntries.names(dir);
    }

    @Override
    public void writeAtomically(String name, byte[] content, int mode) throws LinuxException {
        DirectoryEntries.requireName(name);
        byte[] nonce = new byte[8];
        RANDOM.nextBytes(nonce);
        String temporary = ".tmp." + HexFormat.of().formatHex(nonce);
        boolean renamed = false;
        try {
            try (Fd file = Kernel.openat(dir, temporary,
                    Kernel.O_WRONLY | Kernel.O_CREAT | Kernel.O_EXCL | Kernel.O_NOFOLLOW, mode & 0777)) {
                Kernel.fchmod(file, mode & 0777); // the umask must not change the mode
                Kernel.writeAll(file, content);
            }
            Kernel.renameat(dir, temporary, name);
            renamed = true;
        } finally {
            if (!renamed) {
                try {
                    Kernel.unlinkat(dir, Native.path(temporary), temporary, false);
                } catch (LinuxException ignored) {
                    // best effort; the original failure is what matters
                }
            }
        }
    }

    @Override
    public void remove(String name) throws LinuxException {
        DirectoryEntries.requireName(name);
        Kernel.unlinkat(dir, Native.path(name), name, false);
    }

    @Override
    public ReplyDirectory subdirectory(String name) throws LinuxException {
        DirectoryEntries.requireName(name);
        Kernel.mkdirat(dir, name, 0755);
        return new LinuxReplyDirectory(Kernel.openat(dir, name,
                Kernel.O_RDONLY | Kernel.O_DIRECTORY | Kernel.O_NOFOLLOW, 0));
    }

    @Override
    public void close() {
        dir.close();
    }
}
