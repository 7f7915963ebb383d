package org.phoenixcast.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class RestartBackoffTest {
    private final RestartBackoff backoff = new RestartBackoff(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(60));

    @Test
    void doublesWhileTheChildDiesYoungUpToTheMaximum() {
        assertThat(LongStream.range(0, 6).map(i -> backoff.delayAfter(10)).toArray())
                .containsExactly(100, 200, 400, 800, 1000, 1000);
    }

    @Test
    void startsAgainFromTheFirstDelayAfterAHealthyRun() {
        backoff.delayAfter(0);
        backoff.delayAfter(0);
        assertThat(backoff.healthy(59_999)).isFalse();
        assertThat(backoff.delayAfter(60_000)).isEqualTo(100);
        assertThat(backoff.delayAfter(0)).isEqualTo(200);
    }

    @Test
    void refusesAnEmptyOrInvertedRange() {
        assertThatThrownBy(() -> new RestartBackoff(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RestartBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
