package org.phoenixcast.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The pidfd exit watch on real processes: exits are reported once, untracked ones never. */
class PidfdExitWatchTest {
    private final List<Integer> exited = new CopyOnWriteArrayList<>();
    private PidfdExitWatch watch;
    private Thread thread;

    @BeforeEach
    void start() throws LinuxException {
        watch = PidfdExitWatch.create(exited::add);
        thread = new Thread(watch, "exit-watch-test");
        thread.start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        watch.close();
        thread.join(5000);
        assertThat(thread.isAlive()).as("close() ends the watch thread").isFalse();
    }

    private static Process sleeper() throws Exception {
        return new ProcessBuilder("sleep", "60").start();
    }

    @Test
    void reportsEachTrackedProcessOnceWhenItExits() throws Exception {
        Process a = sleeper();
        Process b = sleeper();
        try {
            watch.track((int) a.pid(), a::isAlive);
            watch.track((int) b.pid(), b::isAlive);
            assertThat(watch.trackedPids()).containsExactlyInAnyOrder((int) a.pid(), (int) b.pid());
            a.destroyForcibly().waitFor();
            await().atMost(Duration.ofSeconds(10)).until(() -> exited.contains((int) a.pid()));
            assertThat(exited).containsExactly((int) a.pid());
            assertThat(watch.trackedPids()).containsExactly((int) b.pid());
        } finally {
            a.destroyForcibly();
            b.destroyForcibly();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> exited.size() == 2);
        assertThat(exited).containsExactly((int) a.pid(), (int) b.pid());
    }

    @Test
    void anUntrackedProcessIsNotReportedAndAGoneOneIsReportedAtOnce() throws Exception {
        Process a = sleeper();
        try {
            watch.track((int) a.pid(), a::isAlive);
            watch.untrack((int) a.pid());
            a.destroyForcibly().waitFor();
        } finally {
            a.destroyForcibly();
        }
        Process gone = sleeper();
        gone.destroyForcibly().waitFor();
        watch.track((int) gone.pid(), () -> false);
        assertThat(exited).containsExactly((int) gone.pid());
        assertThat(watch.trackedPids()).isEmpty();
    }
}
