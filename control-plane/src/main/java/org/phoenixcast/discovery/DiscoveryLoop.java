package org.phoenixcast.discovery;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.phoenixcast.model.ContainerName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread that follows one runtime: list, publish the snapshot if it changed (and tell the
 * listener), wait for the runtime's next event or the safety-net interval, repeat.
 *
 * <p>A listing failure keeps the previous snapshot (a runtime daemon restarting does not stop its
 * containers; their pidfds tell castd when they really exit) and is logged once per distinct
 * message. Containers whose name castd cannot use, or that {@code names} does not match, are
 * left out (the first logged once).
 */
final class DiscoveryLoop implements Runnable, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DiscoveryLoop.class);

    private final RuntimeAdapter adapter;
    private final Pattern names;
    private final Duration safetyNet;
    private final Runnable changed;
    private final AtomicReference<List<DiscoveredContainer>> snapshot = new AtomicReference<>(List.of());
    private final java.util.Set<String> reportedNames = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean running = true;
    private final java.util.concurrent.CountDownLatch firstListing = new java.util.concurrent.CountDownLatch(1);
    private String lastFailure;

    DiscoveryLoop(RuntimeAdapter adapter, Pattern names, Duration safetyNet, Runnable changed) {
        this.adapter = Objects.requireNonNull(adapter);
        this.names = names;
        this.safetyNet = safetyNet;
        this.changed = changed;
    }

    String runtime() {
        return adapter.runtime();
    }

    /** The containers this runtime ran at its last successful listing. */
    List<DiscoveredContainer> snapshot() {
        return snapshot.get();
    }

    /** Waits until the runtime was listed (successfully or not) once; false on timeout. */
    boolean awaitFirstListing(long millis) throws InterruptedException {
        return firstListing.await(Math.max(0, millis), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public void run() {
        log.info("runtime={} discovery started", adapter.runtime());
        while (running) {
            listOnce();
            try {
                adapter.awaitChange(safetyNet);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException | RuntimeException e) {
                if (!running) break;
                report("waiting for events failed: " + e.getMessage());
                sleepQuietly(safetyNet.compareTo(Duration.ofSeconds(1)) < 0 ? safetyNet : Duration.ofSeconds(1));
            }
        }
        log.info("runtime={} discovery stopped", adapter.runtime());
    }

    /** One listing; publishes and notifies when the set differs from the last one. */
    void listOnce() {
        List<DiscoveredContainer> now;
        try {
            now = adapter.list().stream().filter(this::usable).sorted(java.util.Comparator
                    .comparing(DiscoveredContainer::name)).toList();
            if (lastFailure != null) log.info("runtime={} listing works again", adapter.runtime());
            lastFailure = null;
        } catch (IOException | RuntimeException e) {
            report("listing failed: " + e.getMessage());
            firstListing.countDown();
            return;
        }
        List<DiscoveredContainer> before = snapshot.getAndSet(now);
        if (!before.equals(now)) {
            log.debug("runtime={} containers now {}", adapter.runtime(), now);
            changed.run();
        }
        firstListing.countDown();
    }

    /**
     * A runtime's name castd can use: a valid bare container name, or "host" (valid as a
     * runtime's name; castd binds it as RUNTIME:host, never as the host itself).
     */
    private boolean usable(DiscoveredContainer c) {
        if (!ContainerName.isValidBare(c.name()) && !(c.name().equals(ContainerName.HOST))) {
            if (reportedNames.add(c.name())) {
                log.warn("runtime={} container {} ignored: castd names containers with 1-64 letters, digits, '_', '.', '-'",
                        adapter.runtime(), org.phoenixcast.model.Printable.quote(c.name()));
            }
            return false;
        }
        return names.matcher(c.name()).matches();
    }

    private void report(String failure) {
        if (!failure.equals(lastFailure)) log.warn("runtime={} {}", adapter.runtime(), failure);
        lastFailure = failure;
    }

    private static void sleepQuietly(Duration d) {
        try {
            Thread.sleep(Math.max(1, d.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        firstListing.countDown();
        adapter.close();
    }
}
