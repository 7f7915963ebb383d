package org.phoenixcast.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.phoenixcast.it.support.Latencies;

/** One named series of latencies in nanoseconds, and its row in the benchmark's table. */
final class LatencySeries {
    private final String name;
    private long[] samples = new long[64];
    private int count;

    LatencySeries(String name) {
        this.name = name;
    }

    String name() {
        return name;
    }

    void record(long nanos) {
        if (nanos < 0) throw new IllegalArgumentException("negative latency " + nanos + " in " + name);
        if (count == samples.length) samples = Arrays.copyOf(samples, count * 2);
        samples[count++] = nanos;
    }

    int count() {
        return count;
    }

    /** Nearest-rank percentile (p in (0, 100]), in nanoseconds; no interpolation between samples. */
    long percentile(double p) {
        if (count == 0) throw new IllegalStateException("no samples in " + name);
        return Latencies.percentile(Arrays.copyOf(samples, count), p);
    }

    long max() {
        return percentile(100);
    }

    static String table(List<LatencySeries> rows) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-44s %6s %10s %10s %10s %10s%n", "series (ms)", "n", "p50", "p90", "p99", "max"));
        for (LatencySeries s : rows) {
            if (s.count() == 0) {
                out.append(String.format(Locale.ROOT, "%-44s %6d %10s %10s %10s %10s%n", s.name(), 0, "-", "-", "-", "-"));
                continue;
            }
            out.append(String.format(Locale.ROOT, "%-44s %6d %10s %10s %10s %10s%n", s.name(), s.count(),
                    millis(s.percentile(50)), millis(s.percentile(90)), millis(s.percentile(99)), millis(s.max())));
        }
        return out.toString();
    }

    /** Milliseconds with microsecond resolution. */
    static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }
}
