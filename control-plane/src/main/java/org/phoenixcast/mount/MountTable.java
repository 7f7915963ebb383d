package org.phoenixcast.mount;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.phoenixcast.linux.Fd;
import org.phoenixcast.linux.Kernel;
import org.phoenixcast.linux.LinuxException;

/**
 * Reads and parses mountinfo (proc(5)). Every text field is guest-controlled (a guest names
 * its mount points and sources): the kernel escapes space, tab, newline and backslash as
 * \\ooo, which we decode after splitting, so a name can never forge a field or a line.
 */
public final class MountTable {
    /** A guest can make many mounts; a bigger table is refused rather than buffered. */
    static final int MAX_BYTES = 64 << 20;

    private MountTable() {}

    /** mountinfo of the process whose /proc/PID directory fd is {@code procDir}. */
    static List<MountInfo> read(Fd procDir) throws LinuxException {
        try (Fd file = Kernel.openat(procDir, "mountinfo", Kernel.O_RDONLY, 0)) {
            byte[] raw = Kernel.readAtMost(file, MAX_BYTES + 1);
            if (raw.length > MAX_BYTES) {
                throw new LinuxException("read", "mountinfo", org.phoenixcast.linux.Errno.E2BIG, "mount table too large");
            }
            return parse(new String(raw, StandardCharsets.ISO_8859_1));
        }
    }

    /** Parses mountinfo as the kernel wrote it (raw bytes); malformed lines are skipped. */
    public static List<MountInfo> parse(byte[] raw) {
        return parse(new String(raw, StandardCharsets.ISO_8859_1));
    }

    /** Parses whole mountinfo text (bytes as ISO-8859-1 chars); malformed lines are skipped. */
    static List<MountInfo> parse(String text) {
        List<MountInfo> result = new ArrayList<>();
        for (String line : text.split("\n")) {
            MountInfo info = parseLine(line);
            if (info != null) result.add(info);
        }
        return result;
    }

    /** One line, or null when malformed. */
    static MountInfo parseLine(String line) {
        String[] f = line.split(" ");
        if (f.length < 10) return null;
        int dash = -1;
        for (int i = 6; i < f.length; i++) {
            if (f[i].equals("-")) {
                dash = i;
                break;
            }
        }
        if (dash < 0 || f.length < dash + 4) return null;
        try {
            return new MountInfo(Long.parseLong(f[0]), Long.parseLong(f[1]), f[2], decode(f[3]), decode(f[4]),
                    f[5], decode(f[dash + 1]), decode(f[dash + 2]), decode(f[dash + 3]));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Decodes \\ooo escapes; the input chars are bytes (ISO-8859-1), the result is UTF-8 decoded. */
    static String decode(String field) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                out.write(Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.write(c & 0xff);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) return false;
        for (int i = from; i < from + 3; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '7') return false;
        }
        return true;
    }
}
