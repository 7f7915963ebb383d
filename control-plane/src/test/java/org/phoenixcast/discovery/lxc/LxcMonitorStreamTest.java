package org.phoenixcast.discovery.lxc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Supervision of the event child, with /bin/sh standing in for lxc-monitor: prompt return on a
 * line, coalesced bursts, quiet waits, restart with growing delays, cleanup on close.
 * (LxcAdapterIT runs the real lxc-monitor.)
 */
class LxcMonitorStreamTest {

    private static LxcMonitorStream stream(String script, long... settleMillis) {
        return new LxcMonitorStream(() -> Optional.of(List.of("/bin/sh", "-c", script)), "test stream", settleMillis);
    }

    private static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    @Test
    void returnsPromptlyWhenTheChildPrintsALine() throws InterruptedException {
        try (LxcMonitorStream s = stream("sleep 0.3; echo \"'c1' changed state to [RUNNING]\"; exec sleep 60")) {
            s.ensureStarted();
            long start = System.nanoTime();
            s.await(Duration.ofSeconds(10));
            assertThat(millisSince(start)).isBetween(250L, 2_000L);
            assertThat(s.starts()).isEqualTo(1);
        }
    }

    @Test
    void waitsForTheTimeoutWhenNothingHappens() throws InterruptedException {
        try (LxcMonitorStream s = stream("exec sleep 60")) {
            long start = System.nanoTime();
            s.await(Duration.ofMillis(300));
            assertThat(millisSince(start)).isGreaterThanOrEqualTo(299L);
            assertThat(s.starts()).isEqualTo(1);
        }
    }

    @Test
    void coalescesABurstOfLines() throws InterruptedException {
        try (LxcMonitorStream s = stream("for i in 1 2 3 4 5 6 7 8 9 10; do echo \"'c$i' changed state to [RUNNING]\"; done;"
                + " exec sleep 60")) {
            s.ensureStarted();
            long start = System.nanoTime();
            int returns = 0;
            while (millisSince(start) < 600) {
                s.await(Duration.ofMillis(600 - millisSince(start)));
                returns++;
            }
            assertThat(returns).as("ten lines, then silence").isBetween(1, 4);
        }
    }

    @Test
    void returnsAtTheSettlePointsAfterAStart() throws InterruptedException {
        try (LxcMonitorStream s = stream("exec sleep 60", 200)) {
            long start = System.nanoTime();
            s.await(Duration.ofSeconds(10));
            assertThat(millisSince(start)).isBetween(190L, 2_000L);
            long again = System.nanoTime();
            s.await(Duration.ofMillis(300));
            assertThat(millisSince(again)).as("one settle point only").isGreaterThanOrEqualTo(299L);
        }
    }

    @Test
    void restartsAnEndedChildWithGrowingDelaysNotInALoop() throws InterruptedException {
        try (LxcMonitorStream s = stream("exit 3")) {
            long start = System.nanoTime();
            int returns = 0;
            while (millisSince(start) < 1_600) {
                s.await(Duration.ofSeconds(2));
                returns++;
            }
            // starts at about 0, 100, 300, 700 and 1,500 ms
            assertThat(s.starts()).isBetween(3, 6);
            assertThat(returns).isLessThanOrEqualTo(s.starts() + 2);
        }
    }

    @Test
    void waitsQuietlyWhileTheToolIsMissing() throws InterruptedException {
        try (LxcMonitorStream s = new LxcMonitorStream(Optional::empty, "missing tool")) {
            s.ensureStarted();
            long start = System.nanoTime();
            s.await(Duration.ofMillis(300));
            assertThat(millisSince(start)).isGreaterThanOrEqualTo(299L);
            assertThat(s.starts()).isZero();
        }
    }

    @Test
    void theChildDiesWithTheThreadThatStartedItUnderSetpriv() throws InterruptedException {
        LxcTools tools = LxcTools.onHost();
        assertThat(tools.find("setpriv")).as("util-linux setpriv (essential on Debian)").isPresent();
        try (LxcMonitorStream s = new LxcMonitorStream(() -> Optional.of(tools.dyingWithCaller(List.of("/bin/sleep", "60"))),
                "pdeathsig stream", new long[0])) {
            // As if castd died with kill -9: no close(), the starting thread is simply gone. It
            // ends once setpriv has set the signal and exec'd sleep (before, the child would miss it).
            Thread starter = new Thread(() -> {
                s.ensureStarted();
                long child = s.childPid().orElseThrow();
                await().atMost(Duration.ofSeconds(5)).until(() -> ProcessHandle.of(child)
                        .flatMap(h -> h.info().command()).map(c -> c.endsWith("/sleep")).orElse(false));
            });
            starter.start();
            starter.join();
            long pid = s.childPid().orElseThrow();
            await().atMost(Duration.ofSeconds(2)).until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
        }
    }

    @Test
    void closeEndsTheChildAndWakesTheWaiter() throws InterruptedException {
        LxcMonitorStream s = stream("exec sleep 60");
        s.ensureStarted();
        long pid = s.childPid().orElseThrow();
        Thread waiter = new Thread(() -> {
            try {
                s.await(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.start();
        long start = System.nanoTime();
        s.close();
        s.close(); // idempotent
        waiter.join(5_000);
        assertThat(waiter.isAlive()).isFalse();
        assertThat(millisSince(start)).isLessThan(2_000L);
        await().atMost(Duration.ofSeconds(2)).until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
        assertThat(s.childPid()).isEmpty();
        s.await(Duration.ofSeconds(30)); // returns at once once closed
    }
}
