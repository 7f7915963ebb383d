package org.phoenixcast.discovery;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a runtime's event stream (Docker's {@code /events}, {@code podman events}) open on one
 * daemon thread and turns it into {@link RuntimeAdapter#awaitChange} wake-ups: a relevant event
 * line, the stream (re)opening and the stream ending each mean "the runtime may have changed".
 *
 * <p>Opening signals too, so the discovery loop lists again once the subscription is live and no
 * start between the previous listing and the subscription is lost. Sources should also replay a
 * second or so of history on open (Docker and Podman both take a {@code since}) to cover the
 * moment between "opened" and "subscribed" inside the runtime.
 *
 * <p>When the source is absent (no socket, no binary) or fails, the thread waits with a
 * {@link RestartBackoff} ({@link #FIRST_RETRY} doubling to {@link #LAST_RETRY}) through {@link Source#awaitSource},
 * which may return early when the source appears. Absence is logged once at INFO; failures once
 * per distinct message. Nothing here polls the runtime.
 *
 * <p>Lines are at most {@link #MAX_LINE_BYTES}; a longer one is skipped (and counts as relevant,
 * since it was some event). The stream's content comes from the runtime's host-side daemon or
 * CLI, never from a guest; it only wakes the loop and never names or locates a container.
 */
public final class EventFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventFollower.class);

    /** A daemon restarting comes back within a second or two; retry soon at first. */
    static final Duration FIRST_RETRY = Duration.ofMillis(250);
    /** A source that keeps failing is retried at most this often (one log line per distinct failure). */
    static final Duration LAST_RETRY = Duration.ofSeconds(30);
    /** A stream that lived this long was healthy: the next failure starts the backoff again. */
    static final Duration HEALTHY = Duration.ofSeconds(30);
    /** Docker puts every label of a container into its events; 1 MiB is far beyond real ones. */
    public static final int MAX_LINE_BYTES = 1 << 20;

    /** Where the events come from. Its methods run on the follower thread only, except {@link #wake}. */
    public interface Source {
        /**
         * Opens the stream, or returns null when the runtime is absent now (no socket, no
         * binary): then the follower waits quietly. Throws when the runtime is there but the
         * stream cannot be opened.
         */
        Stream open() throws IOException;

        /** Blocks at most {@code millis}, returning early when the source may have appeared. */
        default void awaitSource(long millis) throws InterruptedException {
            Thread.sleep(Math.max(1, millis));
        }

        /** Makes a blocked {@link #awaitSource} return; called from {@link #close()}, any thread. */
        default void wake() {}
    }

    /** An open event stream. {@link #close()} from another thread must end a blocked read. */
    public interface Stream extends Closeable {
        /** Reads the next bytes into {@code buf}; -1 at the end of the stream. */
        int read(byte[] buf) throws IOException;
    }

    private final String runtime;
    private final Source source;
    private final Predicate<String> relevant;
    private final RestartBackoff backoff = new RestartBackoff(FIRST_RETRY, LAST_RETRY, HEALTHY);
    private final Object lock = new Object();
    private boolean pending;
    private boolean closed;
    private Thread thread;
    private Stream current;
    private String lastFailure;

    /**
     * @param relevant decides from one line (without its newline) whether it may change the
     *                 set of running containers; it must not throw on malformed input
     */
    public EventFollower(String runtime, Source source, Predicate<String> relevant) {
        this.runtime = Objects.requireNonNull(runtime);
        this.source = Objects.requireNonNull(source);
        this.relevant = Objects.requireNonNull(relevant);
    }

    /**
     * Returns when an event, an open or an end of the stream happened since the previous return,
     * when {@code timeout} passes, or on {@link #close}. Starts the follower thread on first use.
     */
    public void awaitChange(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            if (closed) return;
            if (thread == null) {
                thread = new Thread(this::follow, "castd-events-" + runtime);
                thread.setDaemon(true);
                thread.start();
            }
            while (!pending && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) break;
                lock.wait(Math.max(1, left / 1_000_000));
            }
            pending = false;
        }
    }

    /** Ends the stream and the thread; idempotent, any thread. */
    @Override
    public void close() {
        Stream open;
        Thread t;
        synchronized (lock) {
            if (closed) return;
            closed = true;
            open = current;
            t = thread;
            lock.notifyAll();
        }
        source.wake();
        closeQuietly(open);
        if (t != null) {
            t.interrupt();
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void signal() {
        synchronized (lock) {
            pending = true;
            lock.notifyAll();
        }
    }

    private boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    private void follow() {
        boolean absent = false;
        boolean openFailed = false;
        while (!isClosed()) {
            Stream stream;
            try {
                stream = source.open();
            } catch (IOException | RuntimeException e) {
                if (isClosed()) break;
                report("event stream cannot be opened: " + e.getMessage());
                openFailed = true;
                pause(backoff.delayAfter(0));
                continue;
            }
            if (stream == null) {
                if (!absent) log.info("runtime={} not there (yet); waiting for it quietly", runtime);
                absent = true;
                pause(backoff.delayAfter(0));
                continue;
            }
            if (!adopt(stream)) break;
            if (absent || openFailed) log.info("runtime={} event stream open", runtime);
            absent = false;
            openFailed = false;
            signal();
            long opened = System.nanoTime();
            String end = readAll(stream);
            closeQuietly(stream);
            synchronized (lock) {
                current = null;
            }
            if (isClosed()) break;
            signal();
            long lived = (System.nanoTime() - opened) / 1_000_000;
            // It ran well: the backoff starts again, and this end is reported even if the
            // previous one read the same. A stream that keeps dying at once (a podman that
            // cannot read its events) is reported once, then retried every 30 s quietly.
            if (backoff.healthy(lived)) lastFailure = null;
            report("event stream ended: " + end);
            pause(backoff.delayAfter(lived));
        }
    }

    /** Makes {@code stream} the one close() ends; false (and closes it) if close() came first. */
    private boolean adopt(Stream stream) {
        synchronized (lock) {
            if (!closed) {
                current = stream;
                return true;
            }
        }
        closeQuietly(stream);
        return false;
    }

    /** Waits {@code millis} (or until the source appears). */
    private void pause(long millis) {
        try {
            source.awaitSource(millis);
        } catch (InterruptedException e) {
            // close() interrupts; the loop condition ends the thread
        }
    }

    /** Reads lines until the end; returns why it ended. */
    private String readAll(Stream stream) {
        LineSplitter lines = new LineSplitter(MAX_LINE_BYTES, line -> {
            if (line == null || relevant.test(line)) signal();
        });
        byte[] buf = new byte[16 * 1024];
        try {
            while (true) {
                int n = stream.read(buf);
                if (n < 0) return "end of stream";
                lines.feed(buf, n);
            }
        } catch (IOException | RuntimeException e) {
            return String.valueOf(e.getMessage());
        }
    }

    private void report(String failure) {
        if (!failure.equals(lastFailure)) log.warn("runtime={} {}", runtime, failure);
        lastFailure = failure;
    }

    private static void closeQuietly(Closeable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException | RuntimeException e) {
            // already gone
        }
    }
}
