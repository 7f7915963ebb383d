package org.phoenixcast.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * What a guest sees, read from the host through /proc/PID: its mount table and files under its
 * root. Benchmark code only: it follows /proc/PID/root, which a hostile guest could abuse with
 * symlinks; the guests here are our own idle test containers.
 */
final class GuestProbe {
    private final int pid;
    private final Path root;
    private final Path mountinfo;

    GuestProbe(int pid) {
        this.pid = pid;
        this.root = Path.of("/proc", Integer.toString(pid), "root");
        this.mountinfo = Path.of("/proc", Integer.toString(pid), "mountinfo");
    }

    int pid() {
        return pid;
    }

    /** A guest path ("/syscmd/caston") as a host path through /proc/PID/root. */
    Path path(String guestPath) {
        if (!guestPath.startsWith("/")) throw new IllegalArgumentException("not absolute: " + guestPath);
        return root.resolve(guestPath.substring(1));
    }

    /**
     * True when some mount sits at {@code target} (field 5 of /proc/PID/mountinfo, which is
     * relative to the guest's root). Targets here have no spaces, so no octal escapes to undo.
     */
    boolean isMountPoint(String target) {
        String table;
        try {
            table = new String(Files.readAllBytes(mountinfo), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + mountinfo + " (container gone?)", e);
        }
        int start = 0;
        while (start < table.length()) {
            int end = table.indexOf('\n', start);
            if (end < 0) end = table.length();
            if (mountPointIs(table, start, end, target)) return true;
            start = end + 1;
        }
        return false;
    }

    private static boolean mountPointIs(String table, int start, int end, String target) {
        int field = start;
        for (int i = 0; i < 4; i++) {
            field = table.indexOf(' ', field) + 1;
            if (field <= 0 || field >= end) return false;
        }
        int fieldEnd = table.indexOf(' ', field);
        if (fieldEnd < 0 || fieldEnd > end) fieldEnd = end;
        return fieldEnd - field == target.length() && table.startsWith(target, field);
    }

    /**
     * Sends a request exactly as the guest script does: the line goes into
     * {@code /.syscmd/.NAME.tmp}, which is then renamed to {@code /.syscmd/NAME}.
     */
    void sendRequest(String name, String line) throws IOException {
        Path drop = path("/.syscmd");
        Path tmp = drop.resolve("." + name + ".tmp");
        Files.writeString(tmp, line + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, drop.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }

    /** The reply to request {@code name}, or null while there is none. */
    String reply(String name) throws IOException {
        try {
            return Files.readString(path("/syscmd/replies/" + name), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    boolean hasReply(String name) {
        return Files.exists(path("/syscmd/replies/" + name));
    }

    /** System.nanoTime() of the polling rounds that first saw each condition. */
    record Seen(long first, long second) {
        long both() {
            return Math.max(first, second);
        }
    }

    /**
     * Polls both conditions, parking {@code pollNanos} between rounds (0: spin), until each has
     * been seen once; a condition is taken as settled once seen (mounts and replies do not vanish
     * by themselves here).
     *
     * @throws IllegalStateException naming {@code what} after {@code timeoutMillis}
     */
    static Seen await(String what, BooleanSupplier first, BooleanSupplier second, long pollNanos, long timeoutMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        long firstAt = 0;
        long secondAt = 0;
        while (true) {
            if (firstAt == 0 && first.getAsBoolean()) firstAt = System.nanoTime();
            if (secondAt == 0 && second.getAsBoolean()) secondAt = System.nanoTime();
            if (firstAt != 0 && secondAt != 0) return new Seen(firstAt, secondAt);
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeoutMillis + " ms waiting for " + what
                        + (firstAt != 0 ? " (first condition was met)" : secondAt != 0 ? " (second condition was met)" : ""));
            }
            if (pollNanos > 0) LockSupport.parkNanos(pollNanos);
            else Thread.onSpinWait();
        }
    }
}
