package org.phoenixcast.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Lists a directory with getdents64 on a fresh open file description (openat(dir, ".")), so
 * the listing never shares an offset with another reader. Names are raw bytes: guests may
 * create names that are not UTF-8.
 */
final class DirectoryEntries {
    private DirectoryEntries() {}

    /** Entry names decoded as UTF-8 (invalid bytes become U+FFFD), without "." and "..". */
    static List<String> names(Fd dir) throws LinuxException {
        List<String> names = new java.util.ArrayList<>();
        for (byte[] raw : rawNames(dir)) names.add(new String(raw, java.nio.charset.StandardCharsets.UTF_8));
        return names;
    }

    static List<byte[]> rawNames(Fd dir) throws LinuxException {
        List<byte[]> names = new ArrayList<>();
        try (Fd listing = Kernel.openat(dir, ".", Kernel.O_RDONLY | Kernel.O_DIRECTORY, 0)) {
            byte[] buf = new byte[32 * 1024];
            int n;
            while ((n = Kernel.getdents(listing, buf)) > 0) {
                ByteBuffer b = ByteBuffer.wrap(buf, 0, n).order(ByteOrder.LITTLE_ENDIAN);
                int pos = 0;
                while (pos < n) {
                    // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
                    int reclen = b.getShort(pos + 16) & 0xffff;
                    int start = pos + 19;
                    int end = start;
                    while (end < pos + reclen && buf[end] != 0) end++;
                    byte[] name = Arrays.copyOfRange(buf, start, end);
                    if (!isDotOrDotDot(name)) names.add(name);
                    pos += reclen;
                }
            }
        }
        return names;
    }

    private static boolean isDotOrDotDot(byte[] name) {
        return (name.length == 1 && name[0] == '.') || (name.length == 2 && name[0] == '.' && name[1] == '.');
    }

    /** A single file name: not empty, no '/', not "." or "..", no NUL. */
    static void requireName(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a file name: " + name);
        }
    }
}
