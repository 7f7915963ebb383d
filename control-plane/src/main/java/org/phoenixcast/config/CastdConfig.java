package org.phoenixcast.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.phoenixcast.model.GuestPath;

/**
 * castd's settings (castd.conf, Java properties syntax; etc/castd.conf documents each key). Every key is optional; an unknown key
 * or a bad value is an error naming the key, so a typo never silently falls back to a default.
 */
public record CastdConfig(Path stateDir, List<GuestPath> forbiddenTargets, Duration resyncInterval,
                          long dropMaxBytes, long dropMaxInodes, int requestMaxBytes, int requestMaxLines,
                          Duration replyRetention, int guestMaxQueued, int guestRequestsPerSecond,
                          RuntimeConfig runtimes) {

    /** Far above what castd can take; keeps the token bucket's arithmetic exact. */
    static final int MAX_REQUESTS_PER_SECOND = 1_000_000;
    public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/phoenix-cast");
    private static final Set<String> KEYS = Set.of("state-dir", "forbidden-targets", "resync-seconds",
            "drop-max-bytes", "drop-max-inodes", "request-max-bytes", "request-max-lines", "reply-retention-seconds",
            "guest-max-queued", "guest-requests-per-second");

    public static CastdConfig defaults(Path stateDir) {
        // Drop directory: 1 MiB and 256 inodes bound what a flooding guest can pin on the host; a
        // request file takes one 4 KiB page, so both limits are reached at the same ~256 files.
        // Requests: 16 KiB and 64 lines are far beyond any real request and bound a hostile one.
        // Per guest: 1,024 requests pending (~10 s of worker time, the guest command's timeout)
        // and 200 files taken per second (bursts of one second's worth).
        return new CastdConfig(stateDir, List.of(), Duration.ofSeconds(1), 1 << 20, 256, 16 * 1024, 64,
                Duration.ofMinutes(10), 1024, 200, RuntimeConfig.defaults());
    }

    /** Reads {@code file} if given; {@code stateDirOverride} (the --state-dir option) wins over the file. */
    public static CastdConfig load(Path file, Path stateDirOverride) throws IOException {
        Properties p = new Properties();
        if (file != null) {
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            }
        }
        for (String key : p.stringPropertyNames()) {
            if (!KEYS.contains(key) && !RuntimeConfig.isKey(key)) throw new IllegalArgumentException(file + ": unknown setting '" + key + "'");
        }
        Path state = stateDirOverride != null ? stateDirOverride
                : Path.of(p.getProperty("state-dir", DEFAULT_STATE_DIR.toString()));
        CastdConfig d = defaults(state.toAbsolutePath());
        List<GuestPath> forbidden = new ArrayList<>();
        for (String item : p.getProperty("forbidden-targets", "").split(",")) {
            if (item.isBlank()) continue;
            try {
                forbidden.add(GuestPath.parse(item.trim()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("castd.conf: forbidden-targets: " + e.getMessage(), e);
            }
        }
        return new CastdConfig(d.stateDir(), forbidden,
                Duration.ofSeconds(number(p, "resync-seconds", d.resyncInterval().toSeconds())),
                number(p, "drop-max-bytes", d.dropMaxBytes()), number(p, "drop-max-inodes", d.dropMaxInodes()),
                intNumber(p, "request-max-bytes", d.requestMaxBytes()),
                intNumber(p, "request-max-lines", d.requestMaxLines()),
                Duration.ofSeconds(number(p, "reply-retention-seconds", d.replyRetention().toSeconds())),
                intNumber(p, "guest-max-queued", d.guestMaxQueued()),
                atMost(p, "guest-requests-per-second", d.guestRequestsPerSecond(), MAX_REQUESTS_PER_SECOND),
                RuntimeConfig.load(p, number(p, "runtime-resync-seconds", d.runtimes().resync().toSeconds())));
    }

    private static int atMost(Properties p, String key, int fallback, int max) {
        int n = intNumber(p, key, fallback);
        if (n > max) {
            throw new IllegalArgumentException("castd.conf: " + key + " must be a positive integer at most " + max
                    + ", not '" + p.getProperty(key) + "'");
        }
        return n;
    }

    private static int intNumber(Properties p, String key, int fallback) {
        long n = number(p, key, fallback);
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("castd.conf: " + key + " must be a positive integer at most "
                    + Integer.MAX_VALUE + ", not '" + p.getProperty(key) + "'");
        }
        return (int) n;
    }

    private static long number(Properties p, String key, long fallback) {
        String value = p.getProperty(key);
        if (value == null) return fallback;
        try {
            long n = Long.parseLong(value.trim());
            if (n <= 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("castd.conf: " + key + " must be a positive integer, not '" + value + "'");
        }
    }

    public Path databaseDir() {
        return stateDir.resolve("db");
    }

    public Path guestsDir() {
        return stateDir.resolve("guests");
    }

    public Path adminSocket() {
        return stateDir.resolve("castd.sock");
    }
}
