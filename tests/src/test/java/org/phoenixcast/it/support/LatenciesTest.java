package org.phoenixcast.it.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Nearest-rank percentiles, the figures every latency line of the ITs and benchmarks prints. */
class LatenciesTest {
    private static final List<Long> ONE_TO_TEN = List.of(7L, 3L, 10L, 1L, 5L, 9L, 2L, 8L, 4L, 6L);

    @Test
    void picksTheSmallestSampleWithAtLeastPPercentAtOrBelowIt() {
        assertThat(Latencies.percentile(ONE_TO_TEN, 1)).isEqualTo(1);
        assertThat(Latencies.percentile(ONE_TO_TEN, 50)).isEqualTo(5);
        assertThat(Latencies.percentile(ONE_TO_TEN, 51)).isEqualTo(6);
        assertThat(Latencies.percentile(ONE_TO_TEN, 90)).isEqualTo(9);
        assertThat(Latencies.percentile(ONE_TO_TEN, 100)).isEqualTo(10);
        assertThat(Latencies.percentile(List.of(42L), 50)).isEqualTo(42);
    }

    @Test
    void leavesTheCallersSamplesUnsorted() {
        long[] samples = {3, 1, 2};
        Latencies.percentile(samples, 50);
        assertThat(samples).containsExactly(3, 1, 2);
    }

    @Test
    void refusesNoSamplesAndPercentilesOutOfRange() {
        assertThatThrownBy(() -> Latencies.percentile(List.of(), 50)).hasMessageContaining("no samples");
        assertThatThrownBy(() -> Latencies.percentile(ONE_TO_TEN, 0)).hasMessageContaining("out of range");
        assertThatThrownBy(() -> Latencies.percentile(ONE_TO_TEN, 100.5)).hasMessageContaining("out of range");
    }
}
