package org.phoenixcast.discovery;

import java.io.IOException;
import java.util.List;
import java.util.function.Predicate;
import org.phoenixcast.linux.Fd;
import org.phoenixcast.linux.Inotify;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.linux.LinuxInotify;

/**
 * The awaitChange of an adapter that follows a runtime's host-side state directory (runc,
 * systemd-nspawn, OpenVZ): one inotify instance for the adapter's watches, polled together with
 * pidfds on the inits it listed last ({@link #exits}), so the wait ends on a relevant change in
 * the directory, when a listed init exits, at the deadline or on {@link #close}, and never polls.
 *
 * <p>Thread contract: {@link #await} and what it calls back run on the discovery loop
 * thread; {@link #close} from any thread (closing the inotify fd wakes the waiter).
 */
public final class StateChangeWait implements AutoCloseable {
    /** Adds or renews the adapter's watches; runs on the discovery loop thread. */
    @FunctionalInterface
    public interface Arm {
        /** True when a watch was added: what happened before it is unseen, so list again. */
        boolean arm() throws IOException;
    }

    private final LinuxInotify inotify;
    private final InitExitWatch exits = new InitExitWatch();
    private volatile boolean closed;

    /** @throws IllegalStateException when the kernel gives no inotify instance (castd cannot start the adapter) */
    public StateChangeWait(String runtime) {
        try {
            this.inotify = LinuxInotify.create();
        } catch (LinuxException e) {
            throw new IllegalStateException("runtime=" + runtime + " cannot create an inotify instance: " + e.getMessage(), e);
        }
    }

    /** Where the adapter adds its watches. */
    public LinuxInotify inotify() {
        return inotify;
    }

    /** The listed inits (and monitors) whose exit ends the wait; the adapter follows them after each listing. */
    public InitExitWatch exits() {
        return exits;
    }

    /**
     * Returns at once when {@code arm} added a watch or an init listed last had exited
     * already; else blocks until a relevant event, an exit of a followed process,
     * {@code deadlineNanos} (System.nanoTime) or {@link #close}.
     *
     * @param relevant whether some of the events may change the listing
     *
     * @return true only when it returned for a relevant event
     */
    public boolean await(long deadlineNanos, Arm arm, Predicate<List<Inotify.Event>> relevant) throws IOException, InterruptedException {
        if (closed) return false;
        try {
            if (arm.arm() || exits.stale()) return false; // unseen changes possible: list again
            while (!closed) {
                long left = Math.max(0, (deadlineNanos - System.nanoTime()) / 1_000_000);
                if (left == 0) return false;
                List<Inotify.Event> events;
                List<Fd> pidfds = exits.acquire();
                try {
                    events = inotify.awaitEvents(left, pidfds);
                } finally {
                    exits.release();
                }
                if (Thread.interrupted()) throw new InterruptedException();
                if (events.isEmpty()) return false; // timeout, or a followed process exited
                if (relevant.test(events)) return true;
            }
            return false;
        } catch (LinuxException e) {
            if (closed) return false;
            throw e;
        }
    }

    /** Wakes {@link #await} and closes the inotify instance and the pidfds; idempotent, any thread. */
    @Override
    public void close() {
        closed = true;
        inotify.close();
        exits.close();
    }
}
