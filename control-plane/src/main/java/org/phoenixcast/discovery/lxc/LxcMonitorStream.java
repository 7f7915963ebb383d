package org.phoenixcast.discovery.lxc;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.phoenixcast.discovery.LineSplitter;
import org.phoenixcast.discovery.RestartBackoff;
import org.phoenixcast.model.Printable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long-running {@code lxc-monitor} child whose output lines are change triggers, restarted
 * with {@link RestartBackoff} when it ends (it exits when lxc-monitord dies or is told to quit
 * with {@code lxc-monitor -Q}).
 *
 * <p>Events are triggers, not payloads: a line only makes {@link #await} return so the adapter
 * lists again; names and states in it are logged at debug and never used.
 *
 * <p>After each start {@link #await} also returns at {@link #SETTLE_MILLIS}: lxc-monitor first
 * spawns (or finds) lxc-monitord and then connects (measured 5–90 ms), and a container that
 * reached RUNNING before the connection is only found by a listing after it.
 *
 * <p>Thread contract: {@link #ensureStarted} and {@link #await} on the adapter's loop thread;
 * {@link #close} from any thread. One reader thread per child ends when the child does.
 */
final class LxcMonitorStream implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LxcMonitorStream.class);
    /** A killed lxc-monitord is replaced at once, so few events are missed. */
    static final Duration FIRST_RESTART = Duration.ofMillis(100);
    /** A broken install costs two starts a minute, not a storm; a missing tool is looked for as often. */
    static final Duration LAST_RESTART = Duration.ofSeconds(30);
    /** A child that ran this long was healthy: the next restart comes after FIRST_RESTART again. */
    static final Duration HEALTHY_RUN = Duration.ofSeconds(60);
    /** Re-list points after each start, covering lxc-monitor's connect window (5–90 ms measured, 2-core host). */
    static final long[] SETTLE_MILLIS = {250, 1000};
    /**
     * At most one return per 50 ms: a burst of state lines (STARTING and RUNNING come ~50 ms
     * apart; lxc-autostart starts many containers at once) costs a listing each 50 ms, no more.
     */
    static final long MIN_SPACING_MILLIS = 50;
    /** lxc-monitor's lines hold a name of at most 255 bytes; a longer line is dropped (it still wakes). */
    private static final int MAX_LINE_BYTES = 1024;
    private static final Pattern LINE = Pattern.compile("'(.*)' (changed state to|exited with status) \\[(.*)]");

    private final Supplier<Optional<List<String>>> command;
    private final String description;
    private final long[] settleMillis;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final RestartBackoff backoff = new RestartBackoff(FIRST_RESTART, LAST_RESTART, HEALTHY_RUN);
    private final ArrayDeque<Long> settlePoints = new ArrayDeque<>();
    private Process process;
    private long startedAt;
    private long nextStartAt = System.nanoTime();
    private long pending;
    private long lastReturn = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(MIN_SPACING_MILLIS);
    private boolean closed;
    private boolean missingReported;
    private String lastProblem;
    private int starts;
    private OptionalLong settledAt = OptionalLong.empty();

    /**
     * @param command     the argv to run, or empty while the tool is not installed (then no
     *                    child is started and {@link #await} waits for its timeout)
     * @param description for log lines, e.g. "lxc-monitor --lxcpath=/var/lib/lxc"
     */
    LxcMonitorStream(Supplier<Optional<List<String>>> command, String description) {
        this(command, description, SETTLE_MILLIS);
    }

    /** @param settleMillis re-list points after each start (tests pass none) */
    LxcMonitorStream(Supplier<Optional<List<String>>> command, String description, long[] settleMillis) {
        this.command = command;
        this.description = description;
        this.settleMillis = settleMillis.clone();
    }

    /** Starts the child unless it runs, is closed, or waits for its restart delay. */
    void ensureStarted() {
        lock.lock();
        try {
            startIfDue(System.nanoTime());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks until the child printed a line or ended, a settle point passed, {@code timeout}
     * passed, or {@link #close}. Never returns twice within {@link #MIN_SPACING_MILLIS} for
     * lines alone, and never spins while the child is missing or waits for a restart.
     */
    void await(Duration timeout) throws InterruptedException {
        lock.lockInterruptibly();
        try {
            long now = System.nanoTime();
            long deadline = now + Math.max(0, timeout.toNanos());
            while (!closed) {
                now = System.nanoTime();
                startIfDue(now);
                boolean settled = !settlePoints.isEmpty() && settlePoints.peekFirst() - now <= 0;
                long wakeAt = deadline;
                if (pending > 0 || settled) {
                    long earliest = lastReturn + TimeUnit.MILLISECONDS.toNanos(MIN_SPACING_MILLIS);
                    if (earliest - now <= 0) {
                        pending = 0;
                        while (!settlePoints.isEmpty() && settlePoints.peekFirst() - now <= 0) settlePoints.pollFirst();
                        if (settled && settlePoints.isEmpty()) settledAt = OptionalLong.of(now);
                        lastReturn = now;
                        return;
                    }
                    wakeAt = earlier(wakeAt, earliest);
                } else {
                    if (!settlePoints.isEmpty()) wakeAt = earlier(wakeAt, settlePoints.peekFirst());
                    if (process == null) wakeAt = earlier(wakeAt, nextStartAt);
                }
                if (deadline - now <= 0) return;
                wake.awaitNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1), wakeAt - now));
            }
        } finally {
            lock.unlock();
        }
    }

    private static long earlier(long a, long b) {
        return a - b <= 0 ? a : b;
    }

    /** Caller holds the lock. */
    private void startIfDue(long now) {
        if (closed || process != null || nextStartAt - now > 0) return;
        Optional<List<String>> argv = command.get();
        if (argv.isEmpty()) {
            if (!missingReported) log.info("runtime=lxc {}: not installed; waiting for it", description);
            missingReported = true;
            nextStartAt = now + LAST_RESTART.toNanos();
            return;
        }
        Process p;
        try {
            p = LxcTools.builder(argv.get()).redirectErrorStream(true).start();
        } catch (IOException e) {
            long delay = backoff.delayAfter(0);
            nextStartAt = now + TimeUnit.MILLISECONDS.toNanos(delay);
            problem("cannot start: " + e.getMessage() + "; retrying in " + delay + " ms");
            return;
        }
        process = p;
        startedAt = now;
        starts++;
        missingReported = false;
        settlePoints.clear();
        settledAt = OptionalLong.empty();
        for (long ms : settleMillis) settlePoints.addLast(now + TimeUnit.MILLISECONDS.toNanos(ms));
        Thread reader = new Thread(() -> pump(p), "castd-lxc-monitor");
        reader.setDaemon(true);
        reader.start();
        if (starts == 1) log.info("runtime=lxc following {} (pid {})", description, p.pid());
        else log.debug("runtime=lxc {} started again (pid {})", description, p.pid()); // its end was a warning
    }

    /** The reader thread: every line pokes the waiter; the end of output schedules a restart. */
    private void pump(Process p) {
        String[] last = {""};
        LineSplitter lines = new LineSplitter(MAX_LINE_BYTES, line -> {
            last[0] = line == null ? "(a line of over " + MAX_LINE_BYTES + " bytes)" : line;
            if (log.isDebugEnabled()) log.debug("runtime=lxc {}", describe(last[0]));
            poke();
        });
        try (InputStream in = p.getInputStream()) {
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) >= 0) lines.feed(buf, n);
        } catch (IOException e) {
            last[0] = "read failed: " + e.getMessage();
        }
        String lastLine = last[0];
        int status = -1;
        try {
            if (p.waitFor(1, TimeUnit.SECONDS)) status = p.exitValue();
            else p.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ended(p, status, lastLine);
    }

    private void poke() {
        lock.lock();
        try {
            pending++;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void ended(Process p, int status, String lastLine) {
        lock.lock();
        try {
            if (process != p) return;
            process = null;
            if (closed) return;
            long now = System.nanoTime();
            long lived = TimeUnit.NANOSECONDS.toMillis(now - startedAt);
            if (backoff.healthy(lived)) lastProblem = null;
            long delay = backoff.delayAfter(lived);
            nextStartAt = now + TimeUnit.MILLISECONDS.toNanos(delay);
            settlePoints.clear();
            pending++; // whatever happened while it was down is found by the next listing
            problem("exited with status " + status + " after " + lived + " ms"
                    + (lastLine.isEmpty() ? "" : " (last output " + Printable.quote(lastLine) + ")")
                    + "; restarting in " + delay + " ms");
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Warns once per distinct problem; repeats go to debug. Caller holds the lock. */
    private void problem(String what) {
        String key = what.replaceAll("\\d+ ms", "");
        if (key.equals(lastProblem)) {
            log.debug("runtime=lxc {} {}", description, what);
        } else {
            log.warn("runtime=lxc {} {}", description, what);
        }
        lastProblem = key;
    }

    /** One lxc-monitor line for the log: {@code container=NAME state=STATE}, or the quoted line. */
    static String describe(String line) {
        Matcher m = LINE.matcher(line);
        if (!m.matches()) return "lxc-monitor: " + Printable.quote(line);
        String what = m.group(2).startsWith("exited") ? "exit-status=" : "state=";
        return "container=" + LxcAdapter.forLog(m.group(1)) + " " + what + Printable.quote(m.group(3));
    }

    /** How many times the child was started (tests). */
    int starts() {
        lock.lock();
        try {
            return starts;
        } finally {
            lock.unlock();
        }
    }

    /**
     * When {@link #await} returned for the last settle point of the current child (System.nanoTime),
     * or empty while settle points remain (tests: a listing that began after it sees every container
     * that started before lxc-monitor connected).
     */
    OptionalLong settledAt() {
        lock.lock();
        try {
            return settledAt;
        } finally {
            lock.unlock();
        }
    }

    /** The running child's PID (tests). */
    OptionalLong childPid() {
        lock.lock();
        try {
            return process == null ? OptionalLong.empty() : OptionalLong.of(process.pid());
        } finally {
            lock.unlock();
        }
    }

    /** Ends the child (SIGTERM, then SIGKILL after a second) and wakes {@link #await}; idempotent. */
    @Override
    public void close() {
        Process p;
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            p = process;
            process = null;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
        if (p == null) return;
        p.destroy();
        try {
            if (!p.waitFor(1, TimeUnit.SECONDS)) p.destroyForcibly();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
