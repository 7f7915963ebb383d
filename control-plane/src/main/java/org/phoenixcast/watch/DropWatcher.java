package org.phoenixcast.watch;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.phoenixcast.channel.GuestChannel;
import org.phoenixcast.channel.GuestChannels;
import org.phoenixcast.linux.Inotify;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.model.ContainerName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches every running guest's drop directory (host side) with inotify and feeds complete
 * files (IN_CLOSE_WRITE, IN_MOVED_TO) to {@link DropIntake}; then pokes the worker. An
 * IN_Q_OVERFLOW rescans every drop directory. Events are triggers only: the worker's periodic
 * resync rescans too, so a lost event delays a request, never loses it.
 */
public final class DropWatcher implements Runnable, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DropWatcher.class);
    /** How long one wait for events may block before re-checking for shutdown. */
    private static final long POLL_MILLIS = 500;

    private final Inotify inotify;
    private final GuestChannels channels;
    private final DropIntake intake;
    private final Runnable pokeWorker;
    private final Map<Integer, ContainerName> byWatch = new ConcurrentHashMap<>();
    private final Map<ContainerName, Integer> watchOf = new ConcurrentHashMap<>();
    private volatile boolean running = true;

    public DropWatcher(Inotify inotify, GuestChannels channels, DropIntake intake, Runnable pokeWorker) {
        this.inotify = inotify;
        this.channels = channels;
        this.intake = intake;
        this.pokeWorker = pokeWorker;
    }

    public void watch(GuestChannel channel) throws LinuxException {
        unwatch(channel.name());
        int wd = inotify.watch(channel.hostDrop());
        byWatch.put(wd, channel.name());
        watchOf.put(channel.name(), wd);
    }

    public void unwatch(ContainerName name) {
        Integer wd = watchOf.remove(name);
        if (wd != null) {
            byWatch.remove(wd);
            inotify.unwatch(wd);
        }
    }

    @Override
    public void run() {
        while (running) {
            try {
                List<Inotify.Event> events = inotify.awaitEvents(POLL_MILLIS);
                boolean queued = false;
                for (Inotify.Event e : events) {
                    if (e.overflow()) {
                        log.warn("inotify queue overflowed; rescanning every drop directory");
                        for (GuestChannel c : channels.all()) queued |= intake.scan(c) > 0;
                        continue;
                    }
                    ContainerName name = byWatch.get(e.watchDescriptor());
                    if (name == null || e.name() == null) continue;
                    var channel = channels.get(name);
                    if (channel.isPresent()) queued |= intake.take(channel.get(), e.name());
                }
                if (queued) pokeWorker.run();
            } catch (LinuxException e) {
                if (running) log.error("inotify failed: {}", e.getMessage());
            } catch (RuntimeException e) {
                log.error("drop watcher error", e);
            }
        }
    }

    @Override
    public void close() {
        running = false;
    }
}
