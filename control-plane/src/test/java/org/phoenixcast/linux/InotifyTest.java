package org.phoenixcast.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InotifyTest {
    @TempDir
    Path dir;

    @Test
    void seesCloseWriteAndMovedTo() throws Exception {
        try (LinuxInotify inotify = LinuxInotify.create()) {
            int wd = inotify.watch(dir);
            Files.writeString(dir.resolve("written"), "x");
            Path outside = Files.writeString(Files.createTempFile(dir.getParent(), "moved", ""), "y");
            Files.move(outside, dir.resolve("moved"), StandardCopyOption.ATOMIC_MOVE);
            List<Inotify.Event> events = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (events.size() < 2 && System.nanoTime() < deadline) events.addAll(inotify.awaitEvents(1000));
            assertThat(events).contains(new Inotify.Event(wd, "written", false), new Inotify.Event(wd, "moved", false));
        }
    }

    @Test
    void timesOutEmptyAndCloseWakesAWaiter() throws Exception {
        LinuxInotify inotify = LinuxInotify.create();
        inotify.watch(dir);
        assertThat(inotify.awaitEvents(10)).isEmpty();
        CompletableFuture<List<Inotify.Event>> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                return inotify.awaitEvents(60_000);
            } catch (LinuxException e) {
                throw new IllegalStateException(e);
            }
        });
        // give the waiter time to block in poll(); close must wake it either way
        org.awaitility.Awaitility.await().pollDelay(java.time.Duration.ofMillis(100)).until(() -> true);
        inotify.close();
        assertThat(waiter.get(5, TimeUnit.SECONDS)).isEmpty();
    }

    @Test
    void parsesOverflow() {
        byte[] buf = new byte[16];
        java.nio.ByteBuffer.wrap(buf).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0, -1).putInt(4, LinuxInotify.IN_Q_OVERFLOW);
        List<Inotify.Event> events = new ArrayList<>();
        LinuxInotify.parse(buf, 16, events);
        assertThat(events).containsExactly(new Inotify.Event(-1, null, true));
    }
}
