package org.phoenixcast.discovery;

import java.util.ArrayList;
import java.util.List;
import org.phoenixcast.config.RuntimeConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every enabled runtime's {@link DiscoveryLoop}, one thread each, and their combined snapshot.
 * The listener (the worker's poke) runs on a loop thread whenever a runtime's set of running
 * containers changed; it must only schedule work.
 */
public final class Discovery implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Discovery.class);

    private final List<DiscoveryLoop> loops = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    private Discovery() {}

    /** Starts a loop per adapter, in the given (priority) order; none for an empty list. */
    public static Discovery start(List<RuntimeAdapter> adapters, RuntimeConfig config, Runnable changed) {
        Discovery d = new Discovery();
        for (RuntimeAdapter a : adapters) {
            DiscoveryLoop loop = new DiscoveryLoop(a, config.namePattern(), config.resync(), changed);
            Thread t = new Thread(loop, "castd-discover-" + a.runtime());
            t.setDaemon(true);
            d.loops.add(loop);
            d.threads.add(t);
            t.start();
        }
        if (!adapters.isEmpty()) {
            log.info("discovering containers of {}", adapters.stream().map(RuntimeAdapter::runtime).toList());
        }
        return d;
    }

    /** Every discovered running container, runtimes in priority order. Any thread. */
    public List<DiscoveredContainer> snapshot() {
        List<DiscoveredContainer> all = new ArrayList<>();
        for (DiscoveryLoop l : loops) all.addAll(l.snapshot());
        return all;
    }

    /**
     * Waits (at most {@code timeout} in all) until every runtime was listed once. castd's first
     * reconciliation waits for this: before it, a discovered receiver looks stopped, and its
     * placed mounts would be forgotten and then placed a second time on top of the first.
     * Returns the runtimes that did not answer in time.
     */
    public List<String> awaitFirstListings(java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> late = new ArrayList<>();
        for (DiscoveryLoop l : loops) {
            long left = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (!l.awaitFirstListing(left)) late.add(l.runtime());
        }
        return late;
    }

    @Override
    public void close() {
        loops.forEach(DiscoveryLoop::close);
        for (Thread t : threads) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
