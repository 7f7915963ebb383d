package org.phoenixcast.discovery.lxc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.phoenixcast.config.RuntimeConfig;
import org.phoenixcast.discovery.DiscoveredContainer;
import org.phoenixcast.discovery.Discovery;
import org.phoenixcast.discovery.RuntimeAdapter;
import org.phoenixcast.discovery.RuntimeAdapters;
import org.phoenixcast.linux.ProcessStat;
import org.phoenixcast.testing.RequiresRoot;

/**
 * The adapter against real LXC 5.0.2 containers (busybox rootfs, private lxcpath): init PIDs,
 * prompt notice of starts and stops, privileged and unprivileged, restarts of lxc-monitor.
 * Prints the measured latencies and listing costs.
 */
@RequiresRoot(tools = {"lxc-start", "lxc-stop", "lxc-info", "lxc-ls", "lxc-monitor", "lxc-destroy", "busybox", "chown"})
class LxcAdapterIT {
    /** The target: a started container is served within one second of its start. */
    private static final Duration TARGET = Duration.ofSeconds(1);

    enum Kind { PRIVILEGED, UNPRIVILEGED }

    private PrivateLxcpath lxc;
    private LxcAdapter adapter;
    private Follower follower;

    @BeforeEach
    void scratch() throws IOException {
        lxc = PrivateLxcpath.create();
    }

    @AfterEach
    void cleanUp() {
        if (follower != null) follower.close();
        if (adapter != null) adapter.close();
        lxc.close();
    }

    private LxcAdapter newAdapter() {
        return new LxcAdapter(new RuntimeConfig(List.of("lxc"), Map.of("lxc.lxcpath", lxc.lxcpath().toString()), ".*",
                Duration.ofSeconds(60)));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void findsAStartedContainerWithinASecondAndForgetsItOnceStopped(Kind kind) throws Exception {
        lxc.define("lxcit-web", kind == Kind.UNPRIVILEGED);
        adapter = newAdapter();
        follower = Follower.start(adapter);
        follower.awaitSettled();
        assertThat(follower.current()).isEmpty();

        long start = System.nanoTime();
        lxc.start("lxcit-web");
        long lxcStartMillis = millisSince(start);
        DiscoveredContainer found = follower.awaitListed("lxcit-web", start, TARGET);
        long listedMillis = follower.firstListingAfter(start, "lxcit-web", true);
        long wokeMillis = follower.firstWakeAfter(start);
        int pid = lxc.pid("lxcit-web");
        assertThat(found.runtime()).isEqualTo("lxc");
        assertThat(found.pid()).isEqualTo(pid);
        assertThat(found.startTime()).hasValue(ProcessStat.read(pid).orElseThrow().startTime());
        assertThat(NamespaceInit.isNamespaceInit(Files.readString(Path.of("/proc/" + pid + "/status")))).isTrue();
        String uidMap = Files.readString(Path.of("/proc/" + pid + "/uid_map")).strip();
        if (kind == Kind.UNPRIVILEGED) assertThat(uidMap).matches("0\\s+100000\\s+65536");
        else assertThat(uidMap).matches("0\\s+0\\s+4294967295");

        long stop = System.nanoTime();
        lxc.stop("lxcit-web"); // returns ~0.5 s after the container stopped (LXC's own wait)
        long lxcStopMillis = millisSince(stop);
        follower.awaitGone("lxcit-web", TARGET);
        long goneMillis = follower.firstListingAfter(stop, "lxcit-web", false);
        assertThat(goneMillis).isBetween(0L, TARGET.toMillis());
        long stopWokeMillis = follower.firstWakeAfter(stop);
        assertThat(adapter.list()).isEmpty();
        assertThat(Path.of("/proc/" + pid)).doesNotExist();

        System.out.printf("LxcAdapterIT %s: start: lxc-start -d (and init ready) took %d ms, awaitChange returned %d ms"
                + " and the listing showed it %d ms after lxc-start began; stop: lxc-stop took %d ms, awaitChange returned"
                + " %d ms and the listing dropped it %d ms after lxc-stop began%n", kind, lxcStartMillis, wokeMillis,
                listedMillis, lxcStopMillis, stopWokeMillis, goneMillis);
    }

    @Test
    void reportsARestartedContainerWithItsNewInit() throws Exception {
        lxc.define("lxcit-again", false);
        adapter = newAdapter();
        follower = Follower.start(adapter);
        follower.awaitSettled();
        lxc.start("lxcit-again");
        int first = follower.awaitListed("lxcit-again", System.nanoTime(), TARGET).pid();
        lxc.stop("lxcit-again");
        long restart = System.nanoTime();
        lxc.start("lxcit-again");
        await().atMost(TARGET).pollInterval(Duration.ofMillis(5))
                .until(() -> follower.find("lxcit-again").map(c -> c.pid() != first).orElse(false));
        System.out.printf("LxcAdapterIT restart: new init listed %d ms after lxc-start began%n", millisSince(restart));
        assertThat(follower.find("lxcit-again").orElseThrow().pid()).isEqualTo(lxc.pid("lxcit-again"));
    }

    @Test
    void measuresTheCostOfAListing() throws Exception {
        for (int i = 1; i <= 6; i++) lxc.define("lxcit-n" + i, i % 2 == 0);
        for (int i = 1; i <= 4; i++) lxc.start("lxcit-n" + i);
        adapter = newAdapter();
        long cold = System.nanoTime();
        List<DiscoveredContainer> first = adapter.list();
        long coldMicros = microsSince(cold);
        assertThat(first).extracting(DiscoveredContainer::name)
                .containsExactlyInAnyOrder("lxcit-n1", "lxcit-n2", "lxcit-n3", "lxcit-n4");
        int rounds = 20;
        long warm = System.nanoTime();
        for (int i = 0; i < rounds; i++) assertThat(adapter.list()).containsExactlyInAnyOrderElementsOf(first);
        long warmMicros = microsSince(warm) / rounds;
        long info = System.nanoTime();
        for (int i = 0; i < rounds; i++) lxc.pid("lxcit-n1");
        long infoMicros = microsSince(info) / rounds;
        System.out.printf("LxcAdapterIT list() with 6 containers, 4 running: first %.1f ms (lxc-ls + 4 lxc-info),"
                + " then %.1f ms each (lxc-ls + /proc checks); lxc-info alone %.1f ms%n", coldMicros / 1000.0,
                warmMicros / 1000.0, infoMicros / 1000.0);
    }

    @Test
    void followsStartsAgainAfterLxcMonitordQuits() throws Exception {
        lxc.define("lxcit-late", true);
        adapter = newAdapter();
        follower = Follower.start(adapter);
        follower.awaitSettled();
        long before = adapter.monitor().childPid().orElseThrow();
        lxc.quitMonitord(); // as an admin's `lxc-monitor -Q` would: lxc-monitor exits with it
        await().atMost(Duration.ofSeconds(5)).until(() -> adapter.monitor().childPid().stream()
                .anyMatch(p -> p != before));
        follower.awaitSettled();
        long start = System.nanoTime();
        lxc.start("lxcit-late");
        follower.awaitListed("lxcit-late", start, TARGET);
        System.out.printf("LxcAdapterIT after lxc-monitord quit: lxc-monitor restarted (%d starts), start listed %d ms%n",
                adapter.monitor().starts(), follower.firstListingAfter(start, "lxcit-late", true));
        assertThat(adapter.monitor().starts()).isEqualTo(2);
    }

    @Test
    void castdsDiscoveryLoopIsToldWithinASecond() throws Exception {
        lxc.define("lxcit-loop", true);
        lxc.define("other", false);
        RuntimeConfig config = new RuntimeConfig(List.of("lxc"), Map.of("lxc.lxcpath", lxc.lxcpath().toString()),
                "lxcit-.*", Duration.ofSeconds(60));
        List<Long> pokes = new CopyOnWriteArrayList<>();
        List<RuntimeAdapter> adapters = RuntimeAdapters.create(config);
        LxcAdapter lxcAdapter = (LxcAdapter) adapters.get(0);
        try (Discovery discovery = Discovery.start(adapters, config, () -> pokes.add(System.nanoTime()))) {
            await().atMost(Duration.ofSeconds(5)).until(() -> lxcAdapter.monitor().settledAt().isPresent());
            lxc.start("other"); // not matched by discover-names
            long start = System.nanoTime();
            lxc.start("lxcit-loop");
            await().atMost(TARGET).pollInterval(Duration.ofMillis(5)).until(() -> !discovery.snapshot().isEmpty());
            long told = pokes.stream().filter(t -> t - start > 0).findFirst().orElseThrow() - start;
            assertThat(discovery.snapshot()).extracting(DiscoveredContainer::qualifiedName).containsExactly("lxc:lxcit-loop");
            assertThat(discovery.snapshot().get(0).pid()).isEqualTo(lxc.pid("lxcit-loop"));
            long stop = System.nanoTime();
            lxc.stop("lxcit-loop");
            await().atMost(TARGET).pollInterval(Duration.ofMillis(5)).until(() -> discovery.snapshot().isEmpty());
            long toldStop = pokes.stream().filter(t -> t - stop > 0).findFirst().orElseThrow() - stop;
            System.out.printf("LxcAdapterIT through Discovery: worker poked %d ms after lxc-start began, %d ms after"
                    + " lxc-stop began%n", TimeUnit.NANOSECONDS.toMillis(told), TimeUnit.NANOSECONDS.toMillis(toldStop));
        }
    }

    @Test
    void closeEndsItsLxcMonitorAndWakesTheWaiter() throws Exception {
        adapter = newAdapter();
        adapter.list();
        long child = adapter.monitor().childPid().orElseThrow();
        // the child is setpriv until it execs lxc-monitor: wait for the exec
        await().atMost(Duration.ofSeconds(5)).until(() -> ProcessHandle.of(child).flatMap(h -> h.info().command())
                .map(c -> c.endsWith("lxc-monitor")).orElse(false));
        Thread waiter = new Thread(() -> {
            try {
                adapter.awaitChange(Duration.ofSeconds(60));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.start();
        long close = System.nanoTime();
        adapter.close();
        waiter.join(5_000);
        assertThat(waiter.isAlive()).isFalse();
        assertThat(millisSince(close)).isLessThan(2_000);
        await().atMost(Duration.ofSeconds(2)).until(() -> ProcessHandle.of(child).map(h -> !h.isAlive()).orElse(true));
        assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .map(h -> h.info().command().orElse("")).filter(c -> c.endsWith("lxc-monitor"))).isEmpty();
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    private static long microsSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - nanos);
    }

    private record Listing(long endedAt, List<DiscoveredContainer> containers) {}

    /** What castd's DiscoveryLoop does: list, remember, wait for the adapter, repeat; with timestamps. */
    private static final class Follower implements AutoCloseable {
        private final LxcAdapter adapter;
        private final AtomicReference<List<DiscoveredContainer>> current = new AtomicReference<>(List.of());
        private final List<Long> wakes = new CopyOnWriteArrayList<>();
        private final List<Listing> history = new CopyOnWriteArrayList<>();
        private final List<Throwable> failures = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private volatile boolean running = true;
        private volatile long listBegan;
        private volatile long listEnded;

        private Follower(LxcAdapter adapter) {
            this.adapter = adapter;
            this.thread = new Thread(this::loop, "lxc-it-follower");
        }

        static Follower start(LxcAdapter adapter) {
            Follower f = new Follower(adapter);
            f.thread.start();
            return f;
        }

        private void loop() {
            while (running) {
                try {
                    listBegan = System.nanoTime();
                    List<DiscoveredContainer> now = adapter.list();
                    listEnded = System.nanoTime();
                    current.set(now);
                    history.add(new Listing(listEnded, now));
                    adapter.awaitChange(Duration.ofSeconds(60));
                    wakes.add(System.nanoTime());
                } catch (InterruptedException e) {
                    return;
                } catch (IOException | RuntimeException e) {
                    failures.add(e);
                    if (!running) return;
                }
            }
        }

        /**
         * Waits until lxc-monitor has connected for sure: its last settle point passed and a
         * listing that began after it has finished.
         */
        void awaitSettled() {
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                var settled = adapter.monitor().settledAt();
                long began = listBegan;
                return settled.isPresent() && began - settled.getAsLong() > 0 && listEnded - began > 0;
            });
            assertThat(failures).isEmpty();
        }

        List<DiscoveredContainer> current() {
            return current.get();
        }

        Optional<DiscoveredContainer> find(String name) {
            return current.get().stream().filter(c -> c.name().equals(name)).findFirst();
        }

        DiscoveredContainer awaitListed(String name, long sinceNanos, Duration within) {
            Duration left = within.minusNanos(System.nanoTime() - sinceNanos);
            await().atMost(left.isNegative() ? Duration.ofMillis(1) : left).pollInterval(Duration.ofMillis(5))
                    .until(() -> find(name).isPresent());
            assertThat(failures).isEmpty();
            return find(name).orElseThrow();
        }

        void awaitGone(String name, Duration within) {
            await().atMost(within).pollInterval(Duration.ofMillis(5)).until(() -> find(name).isEmpty());
            assertThat(failures).isEmpty();
        }

        /**
         * Milliseconds from {@code sinceNanos} to the end of the first listing after it in which
         * {@code name} was present (or absent): what castd's worker would have been told.
         */
        long firstListingAfter(long sinceNanos, String name, boolean present) {
            for (Listing l : history) {
                if (l.endedAt() - sinceNanos > 0 && l.containers().stream().anyMatch(c -> c.name().equals(name)) == present) {
                    return TimeUnit.NANOSECONDS.toMillis(l.endedAt() - sinceNanos);
                }
            }
            return -1;
        }

        /** Milliseconds from {@code sinceNanos} to the first return of awaitChange after it. */
        long firstWakeAfter(long sinceNanos) {
            List<Long> after = new ArrayList<>();
            for (long w : wakes) if (w - sinceNanos > 0) after.add(w);
            return after.isEmpty() ? -1 : TimeUnit.NANOSECONDS.toMillis(after.get(0) - sinceNanos);
        }

        @Override
        public void close() {
            running = false;
            adapter.close();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
