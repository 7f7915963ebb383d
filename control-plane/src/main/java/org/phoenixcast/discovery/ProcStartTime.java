package org.phoenixcast.discovery;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The starttime (field 22 of /proc/PID/stat, clock ticks since boot) of a host process, for
 * adapters whose runtime reports a PID but no starttime: read right after the runtime named the
 * PID, it pins the process castd later opens to the one that ran when the runtime answered.
 *
 * <p>Only the host's /proc is read, by PID; the comm field (which the process controls) is
 * skipped by parsing after the last ')'.
 */
public final class ProcStartTime {
    /** /proc/PID/stat is a few hundred bytes; a comm of 16 bytes cannot make it longer than this. */
    private static final int MAX_STAT_BYTES = 4096;

    private ProcStartTime() {}

    /** Empty when the process is gone (or is a zombie: its init already exited). */
    public static OptionalLong of(int pid) {
        if (pid <= 0) return OptionalLong.empty();
        try (InputStream in = Files.newInputStream(Path.of("/proc", Integer.toString(pid), "stat"))) {
            return parse(new String(in.readNBytes(MAX_STAT_BYTES), StandardCharsets.US_ASCII));
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    /** Parses one /proc/PID/stat text; empty when malformed or when the state is Z or X. */
    static OptionalLong parse(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0 || close + 2 > stat.length()) return OptionalLong.empty();
        String[] fields = stat.substring(close + 2).trim().split(" ");
        if (fields.length < 20) return OptionalLong.empty();
        String state = fields[0];
        if (state.equals("Z") || state.equals("X")) return OptionalLong.empty();
        try {
            return OptionalLong.of(Long.parseLong(fields[22 - 3]));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
