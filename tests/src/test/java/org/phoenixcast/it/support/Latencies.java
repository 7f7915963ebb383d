package org.phoenixcast.it.support;

import java.util.Arrays;
import java.util.Collection;

/** Latency samples in nanoseconds, summarised the same way by the ITs and the benchmarks. */
public final class Latencies {
    private Latencies() {
    }

    /**
     * The nearest-rank percentile ({@code p} in (0, 100]) of {@code nanos}: the smallest sample
     * with at least p % of all samples at or below it; no interpolation between samples.
     */
    public static long percentile(long[] nanos, double p) {
        if (nanos.length == 0) throw new IllegalArgumentException("no samples");
        if (!(p > 0 && p <= 100)) throw new IllegalArgumentException("percentile out of range: " + p);
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    public static long percentile(Collection<Long> nanos, double p) {
        return percentile(nanos.stream().mapToLong(Long::longValue).toArray(), p);
    }

    /** Nanoseconds as (fractional) milliseconds, for figure lines. */
    public static double millis(long nanos) {
        return nanos / 1e6;
    }
}
