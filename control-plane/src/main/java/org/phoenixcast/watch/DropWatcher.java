package org.phoenixcast.watch;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.phoenixcast.channel.GuestChannel;
import org.phoenixcast.channel.GuestChannels;
import org.phoenixcast.linux.Inotify;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.model.ContainerName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches every running guest's drop directory (host side) with inotify and feeds its entries
 * to {@link DropIntake} through an {@link IntakeScheduler}, then pokes the worker.
 *
 * <p>Events, an IN_Q_OVERFLOW, a new watch and the periodic rescan only mark a guest "dirty";
 * the scheduler then takes its files round-robin, a few per guest per round, within the guest's
 * rate. So a guest writing thousands of files never delays another guest's file by more than
 * one small batch, an overflow costs one bounded listing per guest, and a lost event delays a
 * request by at most one rescan interval, never loses it: files stay until taken.
 */
public final class DropWatcher implements Runnable, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DropWatcher.class);
    /** Longest wait for events while nothing is pending: bounds how late a new watch or rescan starts. */
    private static final long POLL_MILLIS = 100;
    /** Files taken from one guest per round before the next guest's turn. */
    static final int BATCH = 4;

    private final Inotify inotify;
    private final GuestChannels channels;
    private final DropIntake intake;
    private final Runnable pokeWorker;
    private final Clock clock;
    private final Duration rescanInterval;
    private final IntakeScheduler scheduler;
    private final Map<Integer, ContainerName> byWatch = new ConcurrentHashMap<>();
    private final Map<ContainerName, Integer> watchOf = new ConcurrentHashMap<>();
    private volatile boolean running = true;
    private Instant nextRescan = Instant.MIN;

    /**
     * @param perSecond each guest's intake rate (files taken per second, refused ones included)
     * @param burst     how many files a guest may have taken at once before the rate applies
     */
    public DropWatcher(Inotify inotify, GuestChannels channels, DropIntake intake, Runnable pokeWorker, Clock clock,
                       Duration rescanInterval, long perSecond, long burst) {
        this.inotify = inotify;
        this.channels = channels;
        this.intake = intake;
        this.pokeWorker = pokeWorker;
        this.clock = clock;
        this.rescanInterval = rescanInterval;
        this.scheduler = new IntakeScheduler(clock, new Source(), BATCH, perSecond, burst);
    }

    /** Watches the channel's drop directory; its existing files are taken at the next round. */
    public void watch(GuestChannel channel) throws LinuxException {
        unwatch(channel.name());
        int wd = inotify.watch(channel.hostDrop());
        byWatch.put(wd, channel.name());
        watchOf.put(channel.name(), wd);
        scheduler.add(channel.name());
    }

    public void unwatch(ContainerName name) {
        Integer wd = watchOf.remove(name);
        if (wd != null) {
            byWatch.remove(wd);
            inotify.unwatch(wd);
        }
        scheduler.remove(name);
        intake.forget(name);
    }

    /** Asks for a rescan of every drop directory (any thread); it starts within {@value #POLL_MILLIS} ms. */
    public void rescanAll() {
        scheduler.markAllDirty();
    }

    @Override
    public void run() {
        long waitMillis = 0;
        while (running) {
            try {
                for (Inotify.Event e : inotify.awaitEvents(waitMillis)) {
                    if (e.overflow()) {
                        log.warn("inotify queue overflowed; rescanning every drop directory");
                        scheduler.markAllDirty();
                        continue;
                    }
                    ContainerName name = byWatch.get(e.watchDescriptor());
                    if (name != null) scheduler.markDirty(name);
                }
                Instant now = clock.instant();
                if (!now.isBefore(nextRescan)) {
                    scheduler.markAllDirty();
                    nextRescan = now.plus(rescanInterval);
                }
                IntakeScheduler.Round round = scheduler.round();
                if (round.queued() > 0) pokeWorker.run();
                waitMillis = round.nextIn().map(d -> Math.min(POLL_MILLIS, Math.max(1, d.toMillis())))
                        .orElse(POLL_MILLIS);
                if (round.nextIn().map(Duration::isZero).orElse(false)) waitMillis = 0;
            } catch (LinuxException e) {
                if (running) log.error("inotify failed: {}", e.getMessage());
                waitMillis = POLL_MILLIS;
            } catch (RuntimeException e) {
                log.error("drop watcher error", e);
                waitMillis = POLL_MILLIS;
            }
        }
    }

    @Override
    public void close() {
        running = false;
    }

    /** The scheduler's view of the open channels. */
    private final class Source implements IntakeScheduler.Source {
        @Override
        public List<String> list(ContainerName guest) {
            Optional<GuestChannel> c = channels.get(guest);
            return c.isPresent() ? intake.list(c.get()) : List.of();
        }

        @Override
        public boolean take(ContainerName guest, String name) {
            Optional<GuestChannel> c = channels.get(guest);
            return c.isPresent() && intake.take(c.get(), name);
        }
    }
}
