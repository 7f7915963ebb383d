package org.phoenixcast.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The follower's wake-up, backoff and close logic, on in-memory streams (pure logic). */
class EventFollowerTest {
    private static final Duration LONG = Duration.ofSeconds(20);

    /** A source whose streams are pipes the test writes into; null entries mean "absent". */
    private static final class PipeSource implements EventFollower.Source {
        final BlockingQueue<PipedOutputStream> writers = new LinkedBlockingQueue<>();
        final AtomicInteger opens = new AtomicInteger();
        final AtomicInteger closes = new AtomicInteger();
        volatile boolean absent;
        volatile PipedInputStream lastIn;

        @Override
        public EventFollower.Stream open() throws IOException {
            opens.incrementAndGet();
            if (absent) return null;
            PipedInputStream in = new PipedInputStream(1 << 16);
            PipedOutputStream out = new PipedOutputStream(in);
            lastIn = in;
            writers.add(out);
            return new EventFollower.Stream() {
                @Override
                public int read(byte[] buf) throws IOException {
                    return in.read(buf);
                }

                @Override
                public void close() throws IOException {
                    closes.incrementAndGet();
                    out.close();
                    in.close();
                }
            };
        }
    }

    private final PipeSource source = new PipeSource();
    private final EventFollower follower = new EventFollower("test", source, line -> line == null || line.contains("start"));

    @AfterEach
    void close() {
        follower.close();
    }

    private long awaitMillis(Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        follower.awaitChange(timeout);
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    private static void write(PipedOutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Test
    void wakesOnOpenAndOnRelevantLinesOnly() throws Exception {
        assertThat(awaitMillis(LONG)).as("the open itself wakes the loop").isLessThan(5000);
        PipedOutputStream out = source.writers.poll(5, TimeUnit.SECONDS);
        CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                return awaitMillis(LONG);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        write(out, "{\"Status\":\"exec\"}\n");
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> !waiter.isDone());
        write(out, "{\"Status\":\"start\"}\n");
        assertThat(waiter.get(5, TimeUnit.SECONDS)).isLessThan(5000);
        assertThat(awaitMillis(Duration.ofMillis(200))).as("nothing pending any more").isGreaterThanOrEqualTo(150);
    }

    @Test
    void anEventBetweenTwoWaitsIsNotLost() throws Exception {
        follower.awaitChange(LONG); // open
        PipedOutputStream out = source.writers.poll(5, TimeUnit.SECONDS);
        write(out, "start\n"); // lands while the loop is listing, nobody waits
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5))
                .until(() -> source.lastIn.available() == 0);
        assertThat(awaitMillis(LONG)).isLessThan(5000);
    }

    @Test
    void reopensWithBackoffAfterTheStreamEndsAndWakesForBoth() throws Exception {
        follower.awaitChange(LONG);
        PipedOutputStream first = source.writers.poll(5, TimeUnit.SECONDS);
        first.close(); // the runtime went away
        assertThat(awaitMillis(LONG)).as("the end wakes").isLessThan(5000);
        PipedOutputStream second = source.writers.poll(5, TimeUnit.SECONDS);
        assertThat(second).as("reopened").isNotNull();
        assertThat(source.opens.get()).isEqualTo(2);
        assertThat(awaitMillis(LONG)).as("the reopen wakes").isLessThan(5000);
    }

    @Test
    void waitsQuietlyWhileTheSourceIsAbsent() throws Exception {
        source.absent = true;
        long waited = awaitMillis(Duration.ofMillis(1500));
        assertThat(waited).isGreaterThanOrEqualTo(1400);
        // 250 + 500 + 1000 ms of backoff: at most four tries in 1.5 s, no busy loop
        assertThat(source.opens.get()).isBetween(1, 4);
        source.absent = false;
        await().atMost(Duration.ofSeconds(5)).until(() -> !source.writers.isEmpty());
        assertThat(awaitMillis(LONG)).isLessThan(5000);
    }

    @Test
    void aStreamThatKeepsEndingAtOnceIsReportedOnceAndRetriedWithBackoff() throws Exception {
        ch.qos.logback.classic.Logger logger =
                (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(EventFollower.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
                new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        try {
            CompletableFuture<Void> closer = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 4; i++) {
                    try {
                        source.writers.take().close(); // each stream ends as soon as it opens
                    } catch (InterruptedException | IOException e) {
                        return;
                    }
                }
            });
            follower.awaitChange(Duration.ofMillis(1)); // starts the follower thread
            await().atMost(Duration.ofSeconds(10)).until(() -> source.opens.get() >= 4);
            closer.get(5, TimeUnit.SECONDS);
            assertThat(logged.list).filteredOn(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                    .extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                    .containsExactly("runtime=test event stream ended: end of stream");
        } finally {
            logger.detachAppender(logged);
        }
    }

    @Test
    void closeWakesAWaiterAndEndsTheStreamAndTheThread() throws Exception {
        follower.awaitChange(LONG);
        source.writers.poll(5, TimeUnit.SECONDS);
        CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                return awaitMillis(LONG);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(1)).until(() -> !waiter.isDone());
        follower.close();
        assertThat(waiter.get(5, TimeUnit.SECONDS)).isLessThan(5000);
        assertThat(source.closes.get()).as("stream closed").isPositive();
        follower.close(); // idempotent
        assertThat(awaitMillis(LONG)).as("closed: returns at once").isLessThan(1000);
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("castd-events-test"));
    }

    @Test
    void anOversizedLineCountsAsAnEvent() throws Exception {
        follower.awaitChange(LONG);
        PipedOutputStream out = source.writers.poll(5, TimeUnit.SECONDS);
        byte[] chunk = new byte[64 * 1024];
        java.util.Arrays.fill(chunk, (byte) 'x');
        for (int i = 0; i < 20; i++) out.write(chunk); // 1.25 MiB without a newline
        out.flush();
        assertThat(awaitMillis(LONG)).isLessThan(5000);
    }
}
