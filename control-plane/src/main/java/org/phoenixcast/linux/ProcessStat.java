package org.phoenixcast.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The fields of a host process's /proc/PID/stat that castd needs (discovery, container handles,
 * sandbox inits). The kernel writes the file; the only part a process controls is its comm
 * (field 2, up to 15 bytes, may hold spaces and ')'), so fields are read after the last ')'.
 *
 * @param state     the one-letter state; 'Z' (zombie) and 'X' (dead) mean the process exited
 * @param startTime field 22, clock ticks after boot: with the PID it names one process for good
 */
public record ProcessStat(int pid, String comm, char state, int ppid, long startTime) {

    /** Reads /proc/PID/stat on the host; empty when there is no such process (any more). */
    public static Optional<ProcessStat> read(int pid) throws IOException {
        if (pid <= 0) return Optional.empty();
        String raw;
        try {
            raw = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"), StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            // ESRCH while reading: the process exited between open and read
            if (!Files.exists(Path.of("/proc", Integer.toString(pid)))) return Optional.empty();
            throw e;
        }
        return Optional.of(parse(pid, raw));
    }

    /** Parses the text of /proc/PID/stat; IllegalArgumentException when it is not one. */
    public static ProcessStat parse(int pid, String stat) {
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        if (open < 0 || close < open || close + 2 > stat.length()) {
            throw new IllegalArgumentException("malformed /proc/" + pid + "/stat");
        }
        String[] f = stat.substring(close + 2).trim().split(" ");
        if (f.length < 20 || f[0].length() != 1) throw new IllegalArgumentException("malformed /proc/" + pid + "/stat");
        try {
            // f[0] is field 3 (state), f[1] field 4 (ppid), f[19] field 22 (starttime)
            return new ProcessStat(pid, stat.substring(open + 1, close), f[0].charAt(0), Integer.parseInt(f[1]),
                    Long.parseLong(f[19]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed /proc/" + pid + "/stat", e);
        }
    }

    /** False for a zombie or a dead process: its PID still shows in /proc, but it runs no more. */
    public boolean running() {
        return state != 'Z' && state != 'X' && state != 'x';
    }
}
