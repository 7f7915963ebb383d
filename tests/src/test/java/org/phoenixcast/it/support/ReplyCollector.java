package org.phoenixcast.it.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every reply castd writes for some guests, read on the host side as it appears. castd keeps
 * only each guest's newest 512 replies (its /syscmd tmpfs is bounded), so a test that sends more
 * must collect them while they come instead of reading them at the end. A reply is read once,
 * under its first name; a reply pruned between listing and reading, or a replies directory that
 * is being re-created (castd restarting), is simply looked at again on the next pass.
 */
public final class ReplyCollector implements AutoCloseable {
    private final Collection<DropGuest> guests;
    private final Map<String, Map<String, String>> byGuest = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "reply-collector");
        t.setDaemon(true);
        return t;
    });

    private ReplyCollector(Collection<DropGuest> guests) {
        this.guests = guests;
    }

    /** Starts collecting the replies of {@code guests} (a live view may grow) every {@code every}. */
    public static ReplyCollector start(Collection<DropGuest> guests, Duration every) {
        ReplyCollector c = new ReplyCollector(guests);
        c.timer.scheduleWithFixedDelay(c::collect, 0, every.toMillis(), TimeUnit.MILLISECONDS);
        return c;
    }

    /** The replies of one guest so far, reply name → content (a live, concurrent map). */
    public Map<String, String> of(String guest) {
        return byGuest.computeIfAbsent(guest, g -> new ConcurrentHashMap<>());
    }

    /** How many replies were collected so far, over all guests. */
    public int total() {
        return total.get();
    }

    private void collect() {
        try {
            for (DropGuest g : guests) collect(g);
        } catch (RuntimeException concurrentlyChanged) {
            // the guest list grew meanwhile: the next pass looks again
        }
    }

    private void collect(DropGuest guest) {
        Map<String, String> replies = of(guest.name());
        try (var names = Files.list(guest.hostReplies())) {
            for (Path f : (Iterable<Path>) names::iterator) {
                String name = f.getFileName().toString();
                if (name.startsWith(".") || replies.containsKey(name)) continue;
                try {
                    if (replies.putIfAbsent(name, Files.readString(f, StandardCharsets.UTF_8)) == null) total.incrementAndGet();
                } catch (IOException pruned) {
                    // removed between list and read
                }
            }
        } catch (IOException | RuntimeException notThereYet) {
            // re-created when castd restarts: the next pass looks again
        }
    }

    /** Stops collecting; what was collected stays readable. */
    @Override
    public void close() {
        timer.shutdownNow();
    }
}
