package org.phoenixcast.linux;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link DropDirectory} on a held directory fd. The guest controls every entry: its type,
 * name, links, size, and it may swap an entry between our calls. Defences: a statx without
 * following first (so a device or FIFO is normally never opened), then openat with O_NOFOLLOW
 * (a symlink gives ELOOP) and O_NONBLOCK (a FIFO swapped in after the statx does not block),
 * then fstat on the opened fd decides (same inode as checked, regular, one link, size cap),
 * and at most max + 1 bytes are read. The drop tmpfs is nodev on the host, so even a device
 * node swapped in during the window cannot be opened.
 *
 * <p>A file still open for writing (a guest writing a request in several steps, found by a
 * rescan before its writer closed it) is never read: the read happens under a {@link ReadLease},
 * which the kernel refuses while any writer has the file open and which holds off new writers
 * until the read is done. Such a file gives {@link RequestFileIncomplete}: left in place and
 * looked at again later. So does a file the guest holds a write lease on (the O_NONBLOCK open
 * fails with EWOULDBLOCK instead of waiting for the lease break): castd never waits for it.
 */
public final class LinuxDropDirectory implements DropDirectory {
    private final Fd dir;

    private LinuxDropDirectory(Fd dir) {
        this.dir = dir;
    }

    /** Opens a host directory castd owns (an admin-configured path). */
    public static LinuxDropDirectory open(Path hostDirectory) throws LinuxException {
        ReadLease.handleSignal();
        return new LinuxDropDirectory(Kernel.openHost(hostDirectory,
                Kernel.O_RDONLY | Kernel.O_DIRECTORY | Kernel.O_NOFOLLOW));
    }

    @Override
    public List<String> list() throws LinuxException {
        return DirectoryEntries.names(dir);
    }

    @Override
    public RequestFile read(String name, int maxBytes) throws LinuxException, RequestFileRefused,
            RequestFileIncomplete {
        if (name.indexOf('\uFFFD') >= 0) throw new RequestFileRefused("file name is not valid UTF-8");
        DirectoryEntries.requireName(name);
        byte[] path = Native.path(name);
        Stat before = Kernel.statAt(dir, path, name);
        refuseUnlessAcceptable(before, maxBytes);
        Fd file;
        try {
            file = Kernel.openat(dir, path, name,
                    Kernel.O_RDONLY | Kernel.O_NOFOLLOW | Kernel.O_NONBLOCK | Kernel.O_NOCTTY, 0);
        } catch (LinuxException e) {
            if (e.errno() == Errno.ELOOP) throw new RequestFileRefused("is a symlink");
            if (e.errno() == Errno.ENXIO) throw new RequestFileRefused("is a socket");
            if (e.errno() == Errno.EACCES) throw new RequestFileRefused("cannot be opened (a device?)");
            // O_NONBLOCK open of a file another process holds a write lease on: EWOULDBLOCK
            // instead of waiting up to lease-break-time. The guest only delays its own request.
            if (e.errno() == Errno.EAGAIN) throw new RequestFileIncomplete("is under another process's lease");
            throw e;
        }
        try (file) {
            Stat stat = Kernel.stat(file);
            if (stat.inode() != before.inode()) throw new RequestFileRefused("was replaced while being read");
            refuseUnlessAcceptable(stat, maxBytes);
            try (ReadLease lease = ReadLease.take(file, name)) {
                // Under the lease: no writer has it open, none can open it until close().
                Stat leased = Kernel.stat(file);
                refuseUnlessAcceptable(leased, maxBytes);
                byte[] content = Kernel.readAtMost(file, maxBytes + 1);
                if (content.length > maxBytes) throw new RequestFileRefused("is larger than " + maxBytes + " bytes");
                return new RequestFile(name, leased.inode(), leased.ctimeNanos(), content);
            }
        }
    }

    private static void refuseUnlessAcceptable(Stat stat, int maxBytes) throws RequestFileRefused {
        if (!stat.isRegularFile()) throw new RequestFileRefused("is " + stat.typeName() + ", not a regular file");
        if (stat.nlink() != 1) throw new RequestFileRefused("has " + stat.nlink() + " links (hard links are refused)");
        if (stat.size() > maxBytes) throw new RequestFileRefused("is larger than " + maxBytes + " bytes");
    }

    @Override
    public void remove(String name) throws LinuxException {
        if (name.indexOf('\uFFFD') >= 0) {
            // The name was lossily decoded by list(): remove every raw entry that decodes to it.
            for (byte[] raw : DirectoryEntries.rawNames(dir)) {
                if (new String(raw, StandardCharsets.UTF_8).equals(name)) removeRaw(Native.path(raw), name);
            }
            return;
        }
        DirectoryEntries.requireName(name);
        removeRaw(Native.path(name), name);
    }

    private void removeRaw(byte[] path, String what) throws LinuxException {
        try {
            Kernel.unlinkat(dir, path, what, false);
        } catch (LinuxException e) {
            if (e.errno() != Errno.EISDIR && e.errno() != Errno.EPERM) throw e;
            try {
                Kernel.unlinkat(dir, path, what, true);
            } catch (LinuxException notEmpty) {
                if (notEmpty.errno() != Errno.ENOTEMPTY && notEmpty.errno() != Errno.EEXIST) throw notEmpty;
                removeTree(path, what);
            }
        }
    }

    /** A guest may leave a non-empty directory; clear it beneath a held fd, never following links. */
    private void removeTree(byte[] path, String what) throws LinuxException {
        try (Fd sub = Kernel.openat(dir, path, what, Kernel.O_RDONLY | Kernel.O_DIRECTORY | Kernel.O_NOFOLLOW, 0)) {
            new LinuxDropDirectory(sub).clearContents(0);
        }
        Kernel.unlinkat(dir, path, what, true);
    }

    private void clearContents(int depth) throws LinuxException {
        if (depth > 64) throw new LinuxException("unlinkat", "nested directory", Errno.ELOOP, "too deep");
        for (byte[] raw : DirectoryEntries.rawNames(dir)) {
            byte[] p = Native.path(raw);
            try {
                Kernel.unlinkat(dir, p, "entry", false);
            } catch (LinuxException e) {
                try (Fd sub = Kernel.openat(dir, p, "entry", Kernel.O_RDONLY | Kernel.O_DIRECTORY | Kernel.O_NOFOLLOW, 0)) {
                    new LinuxDropDirectory(sub).clearContents(depth + 1);
                }
                Kernel.unlinkat(dir, p, "entry", true);
            }
        }
    }

    @Override
    public void close() {
        dir.close();
    }
}
