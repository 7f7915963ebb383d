package org.phoenixcast.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StartupRetryTest {
    private final AtomicLong now = new AtomicLong();
    private final StartupRetry retry = new StartupRetry(Duration.ofSeconds(10), 10, 1000, now::get);

    @Test
    void waitsForNothingWhileNoContainerIsStarting() {
        retry.starting(Set.of());
        assertThat(retry.nextWaitMillis()).isEqualTo(-1);
    }

    @Test
    void backsOffFromTenMillisecondsToTheCap() {
        retry.starting(Set.of("web"));
        long[] waits = new long[9];
        for (int i = 0; i < waits.length; i++) waits[i] = retry.nextWaitMillis();
        assertThat(waits).containsExactly(10, 20, 40, 80, 160, 320, 640, 1000, 1000);
    }

    @Test
    void givesUpOnAContainerAfterItsWindowAndStartsOverForANewOne() {
        retry.starting(Set.of("stale"));
        now.addAndGet(Duration.ofSeconds(11).toNanos());
        retry.starting(Set.of("stale"));
        assertThat(retry.nextWaitMillis()).isEqualTo(-1);
        retry.starting(Set.of("stale", "web"));
        assertThat(retry.nextWaitMillis()).isEqualTo(10);
    }

    @Test
    void anEventRestartsTheBackOff() {
        retry.starting(Set.of("web"));
        retry.nextWaitMillis();
        retry.nextWaitMillis();
        retry.eventSeen();
        assertThat(retry.nextWaitMillis()).isEqualTo(10);
    }

    @Test
    void forgetsAContainerThatStartedOrWent() {
        retry.starting(Set.of("web"));
        retry.starting(Set.of());
        assertThat(retry.nextWaitMillis()).isEqualTo(-1);
    }
}
