package org.phoenixcast.watch;

import org.phoenixcast.testing.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TokenBucketTest {
    private final MutableClock clock = new MutableClock();

    private static int takeAll(TokenBucket b) {
        int n = 0;
        while (b.tryTake()) n++;
        return n;
    }

    @Test
    void startsFullAndAllowsABurstOfItsCapacity() {
        TokenBucket b = new TokenBucket(clock, 100, 20);
        assertThat(takeAll(b)).isEqualTo(20);
        assertThat(b.tryTake()).isFalse();
    }

    @Test
    void refillsAtItsRate() {
        TokenBucket b = new TokenBucket(clock, 100, 20);
        takeAll(b);
        assertThat(b.untilNextToken()).isEqualTo(Duration.ofMillis(10));
        clock.advance(Duration.ofMillis(9));
        assertThat(b.tryTake()).isFalse();
        assertThat(b.untilNextToken()).isEqualTo(Duration.ofMillis(1));
        clock.advance(Duration.ofMillis(1));
        assertThat(b.tryTake()).isTrue();
        assertThat(b.tryTake()).isFalse();
        clock.advance(Duration.ofMillis(55));
        assertThat(takeAll(b)).isEqualTo(5);
    }

    @Test
    void averagesItsRateOverTime() {
        TokenBucket b = new TokenBucket(clock, 200, 200);
        int taken = takeAll(b);
        for (int ms = 0; ms < 10_000; ms++) {
            clock.advance(Duration.ofMillis(1));
            taken += takeAll(b);
        }
        assertThat(taken).isEqualTo(200 + 2000);
    }

    @Test
    void neverHoldsMoreThanItsCapacityEvenAfterALongIdleTime() {
        TokenBucket b = new TokenBucket(clock, 1_000_000, 1_000_000);
        takeAll(b);
        clock.advance(Duration.ofDays(10_000));
        assertThat(takeAll(b)).isEqualTo(1_000_000);
    }

    @Test
    void aClockSteppingBackGivesNothing() {
        TokenBucket b = new TokenBucket(clock, 10, 1);
        assertThat(b.tryTake()).isTrue();
        clock.advance(Duration.ofSeconds(-30));
        assertThat(b.tryTake()).isFalse();
        clock.advance(Duration.ofMillis(100));
        assertThat(b.tryTake()).isTrue();
    }

    @Test
    void aFreshBucketHasATokenNow() {
        assertThat(new TokenBucket(clock, 1, 1).untilNextToken()).isZero();
    }
}
