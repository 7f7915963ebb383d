package org.phoenixcast.linux;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads and writes a kernel setting under {@code /proc/sys}.
 *
 * <p>Contract: a value is read with one {@code read(2)} at offset 0. The kernel's integer
 * handlers ({@code proc_dointvec} and kin) return end-of-file for any read at a non-zero offset,
 * and such files report size 0, so {@link Files#readString} (which then reads a single byte
 * before growing its buffer) returns only the first digit: "16384" reads as "1". A value is
 * written with one {@code write(2)}, which the kernel takes whole.
 */
public final class Sysctl {
    /** Far above any single setting's text (the kernel formats at most a page). */
    private static final int MAX_VALUE_BYTES = 4096;

    private Sysctl() {
    }

    /** The setting's value without the trailing newline, e.g. "16384". */
    public static String read(Path setting) throws IOException {
        try (InputStream in = Files.newInputStream(setting)) {
            return new String(in.readNBytes(MAX_VALUE_BYTES), StandardCharsets.US_ASCII).strip();
        }
    }

    /** Sets the setting to {@code value} (root only); the kernel refuses values out of its range. */
    public static void write(Path setting, String value) throws IOException {
        Files.writeString(setting, value);
    }
}
