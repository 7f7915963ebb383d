package org.phoenixcast.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.phoenixcast.linux.Fd;
import org.phoenixcast.linux.Inotify;
import org.phoenixcast.linux.LinuxInotify;
import org.phoenixcast.linux.ProcessStat;

class InitExitWatchTest {
    private Process child;

    @AfterEach
    void killChild() {
        if (child != null) child.destroyForcibly();
    }

    private DiscoveredContainer sleeper() throws IOException {
        child = new ProcessBuilder("sleep", "60").start();
        int pid = (int) child.pid();
        return new DiscoveredContainer("test", "c", pid, OptionalLong.of(ProcessStat.read(pid).orElseThrow().startTime()));
    }

    @Test
    void aPollReturnsWhenAFollowedInitExits() throws Exception {
        DiscoveredContainer c = sleeper();
        try (InitExitWatch exits = new InitExitWatch(); LinuxInotify inotify = LinuxInotify.create()) {
            exits.follow(List.of(c));
            assertThat(exits.size()).isEqualTo(1);
            assertThat(exits.stale()).isFalse();
            CompletableFuture<Long> waited = CompletableFuture.supplyAsync(() -> {
                long t0 = System.nanoTime();
                List<Fd> fds = exits.acquire();
                try {
                    List<Inotify.Event> events = inotify.awaitEvents(30_000, fds);
                    assertThat(events).isEmpty();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                } finally {
                    exits.release();
                }
                return (System.nanoTime() - t0) / 1_000_000;
            });
            Thread.sleep(100); // let it block in poll
            child.destroyForcibly().waitFor();
            assertThat(waited.get(10, TimeUnit.SECONDS)).isLessThan(10_000);
        }
    }

    @Test
    void anInitThatExitedBeforeItWasFollowedMakesItStale() throws Exception {
        DiscoveredContainer c = sleeper();
        child.destroyForcibly().waitFor();
        try (InitExitWatch exits = new InitExitWatch()) {
            exits.follow(List.of(c));
            assertThat(exits.stale()).isTrue();
            assertThat(exits.size()).isZero();
        }
    }

    @Test
    void aReusedPidIsNotFollowed() throws Exception {
        DiscoveredContainer c = sleeper();
        DiscoveredContainer wrongStart = new DiscoveredContainer("test", "c", c.pid(), OptionalLong.of(c.startTime().getAsLong() + 1));
        try (InitExitWatch exits = new InitExitWatch()) {
            exits.follow(List.of(wrongStart));
            assertThat(exits.stale()).isTrue();
            assertThat(exits.size()).isZero();
        }
    }

    @Test
    void followsExactlyTheLastListingAndClosesWhenDone() throws Exception {
        DiscoveredContainer c = sleeper();
        InitExitWatch exits = new InitExitWatch();
        exits.follow(List.of(c));
        List<Fd> fds = exits.acquire();
        exits.close(); // while "polling": the fds stay open until release
        assertThat(fds.get(0).isOpen()).isTrue();
        exits.release();
        assertThat(fds.get(0).isOpen()).isFalse();
        assertThat(exits.acquire()).isEmpty();

        InitExitWatch again = new InitExitWatch();
        again.follow(List.of(c));
        Fd fd = again.acquire().get(0);
        again.release();
        again.follow(List.of());
        assertThat(fd.isOpen()).isFalse();
        again.close();
    }
}
