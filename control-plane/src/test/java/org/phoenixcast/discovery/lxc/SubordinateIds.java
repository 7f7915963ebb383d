package org.phoenixcast.discovery.lxc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The /etc/subuid and /etc/subgid lines unprivileged LXC containers of the tests need
 * ({@code root:100000:65536}, matching {@code lxc.idmap = u 0 100000 65536}). Test setup
 * only; also used by the tests module's LxcFixture.
 */
public final class SubordinateIds {
    public static final long BASE = 100_000;
    public static final long COUNT = 65_536;

    private SubordinateIds() {}

    /**
     * Appends {@code root:100000:65536} to /etc/subuid and /etc/subgid where no root line covers
     * that range yet, and prints each change on stderr.
     */
    public static void ensureRootRange(String who) throws IOException {
        for (Path file : new Path[] {Path.of("/etc/subuid"), Path.of("/etc/subgid")}) {
            if (ensure(file, "root", BASE, COUNT)) {
                System.err.printf("%s: added 'root:%d:%d' to %s (unprivileged LXC containers need it)%n", who, BASE, COUNT,
                        file);
            }
        }
    }

    /** True if a line was appended: no {@code user:start:count} line of the file covers the range. */
    static boolean ensure(Path file, String user, long start, long count) throws IOException {
        String text = Files.exists(file) ? Files.readString(file) : "";
        if (covers(text, user, start, count)) return false;
        String line = (text.isEmpty() || text.endsWith("\n") ? "" : "\n") + user + ":" + start + ":" + count + "\n";
        Files.writeString(file, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return true;
    }

    static boolean covers(String text, String user, long start, long count) {
        for (String line : text.split("\n")) {
            String[] f = line.strip().split(":");
            if (f.length != 3 || !f[0].equals(user)) continue;
            try {
                long s = Long.parseLong(f[1]);
                long c = Long.parseLong(f[2]);
                if (s <= start && s + c >= start + count) return true;
            } catch (NumberFormatException e) {
                // not a range line
            }
        }
        return false;
    }
}
