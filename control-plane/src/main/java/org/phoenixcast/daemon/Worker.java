package org.phoenixcast.daemon;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.phoenixcast.channel.GuestChannel;
import org.phoenixcast.channel.GuestChannels;
import org.phoenixcast.config.CastdConfig;
import org.phoenixcast.discovery.DiscoveredContainer;
import org.phoenixcast.discovery.Discovery;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.SharingState;
import org.phoenixcast.model.Verb;
import org.phoenixcast.mount.MountFacade;
import org.phoenixcast.mount.MountRefused;
import org.phoenixcast.policy.ShareView;
import org.phoenixcast.queue.QueuedRequest;
import org.phoenixcast.queue.RequestQueue;
import org.phoenixcast.reconcile.Reconciler;
import org.phoenixcast.reconcile.RequestProcessor;
import org.phoenixcast.runtime.ContainerRegistry;
import org.phoenixcast.store.ContainerStore;
import org.phoenixcast.store.Database;
import org.phoenixcast.store.SharingStore;
import org.phoenixcast.store.StateDisk;
import org.phoenixcast.watch.DropWatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single worker: follows containers, serves the queue round-robin per container (one
 * guest's flood cannot starve another), and resyncs periodically. Events only poke it; every
 * decision re-reads the database and the live mount tables. Everything that changes mounts
 * runs on this thread, so there is at most one reconciliation in flight.
 */
final class Worker implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(Worker.class);
    /** Requests served between two container refreshes while a backlog drains. */
    private static final int BATCH = 64;
    /** How soon a container that is still starting (not in its own root yet) is looked at again. */
    private static final Duration STARTING_RETRY = Duration.ofMillis(20);
    /** Replied requests stay in the queue table this long (a crash's leftover files are long gone). */
    static final Duration REPLIED_KEPT = Duration.ofHours(1);
    /** Pruning runs at most this often, deleting at most PRUNE_BATCH rows, so a backlog goes in slices. */
    private static final Duration PRUNE_EVERY = Duration.ofMinutes(1);
    private static final int PRUNE_BATCH = 10_000;

    private final CastdConfig config;
    private final Clock clock;
    private final Database db;
    private final StateDisk disk;
    private final MountFacade kernel;
    private final ContainerStore containers;
    private final SharingStore sharing;
    private final RequestQueue queue;
    private final ContainerRegistry registry;
    private final GuestChannels channels;
    private final DropWatcher watcher;
    private final Reconciler reconciler;
    private final RequestProcessor processor;
    private final Discovery discovery;
    /** castd's name for each discovered container ("lxc:web" → web), read or bound once per binding. */
    private final java.util.Map<String, ContainerName> boundNames = new java.util.HashMap<>();
    private final byte[] script;
    private final java.util.function.Consumer<Set<ContainerName>> runningListener;
    private final Semaphore pokes = new Semaphore(0);
    private final AtomicBoolean commandsChanged = new AtomicBoolean(true);
    /** Containers are refreshed at each resync and after admin changes, not for every guest request. */
    private final AtomicBoolean registrationsChanged = new AtomicBoolean(true);
    private final AtomicBoolean adminEdited = new AtomicBoolean(false);
    /** After a failed turn: deliver replies of requests decided but not marked replied (idempotent). */
    private final AtomicBoolean redeliver = new AtomicBoolean(false);
    private volatile boolean running = true;
    private Instant nextResync = Instant.MIN;
    private Instant nextPrune = Instant.MIN;
    private Instant nextRefresh = Instant.MAX;

    Worker(CastdConfig config, Clock clock, Database db, StateDisk disk, MountFacade kernel, ContainerStore containers,
           SharingStore sharing, RequestQueue queue, ContainerRegistry registry, GuestChannels channels,
           DropWatcher watcher, Reconciler reconciler, RequestProcessor processor, Discovery discovery, byte[] script,
           java.util.function.Consumer<Set<ContainerName>> runningListener) {
        this.config = config;
        this.clock = clock;
        this.db = db;
        this.disk = disk;
        this.kernel = kernel;
        this.containers = containers;
        this.sharing = sharing;
        this.queue = queue;
        this.registry = registry;
        this.channels = channels;
        this.watcher = watcher;
        this.reconciler = reconciler;
        this.processor = processor;
        this.discovery = discovery;
        this.script = script;
        this.runningListener = runningListener;
    }

    /** Asks for prompt attention (a request arrived, the admin changed something). Any thread. */
    void poke() {
        pokes.release();
    }

    /**
     * The admin changed registrations (or anything else it changed may need them looked at):
     * refresh the containers at the next turn rather than at the next resync. Any thread.
     */
    void registrationsChanged() {
        registrationsChanged.set(true);
        poke();
    }

    /**
     * The admin added or removed containers: forget cached name bindings too (a removed
     * container's name may be bound anew). Any thread.
     */
    void containersEdited() {
        adminEdited.set(true);
        registrationsChanged.set(true);
        poke();
    }

    /** The admin enabled or disabled verbs: reinstall /syscmd commands at the next turn. Any thread. */
    void commandsChanged() {
        commandsChanged.set(true);
        poke();
    }

    void stop() {
        running = false;
        poke();
    }

    @Override
    public void run() {
        log.info("worker started");
        while (running) {
            try {
                turn();
                Instant wake = nextRefresh.isBefore(nextResync) ? nextRefresh : nextResync;
                long waitMillis = Math.max(1, Duration.between(clock.instant(), wake).toMillis());
                if (pokes.tryAcquire(waitMillis, TimeUnit.MILLISECONDS)) pokes.drainPermits();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                if (StateDisk.causedByFullDisk(e) || disk.isFull()) {
                    // No stack trace a second: StateDisk logs when the disk fills and when it has space again.
                    disk.failedForLackOfSpace(e);
                    log.debug("worker turn failed, the state disk is full; retrying at the next resync: {}", e.getMessage());
                } else {
                    log.error("worker turn failed; retrying at the next resync", e);
                }
                nextResync = clock.instant().plus(config.resyncInterval());
                db.revive();
                // A request may have been decided but its REPLIED mark not committed.
                redeliver.set(true);
            }
        }
        log.info("worker stopped");
    }

    private void turn() {
        if (adminEdited.getAndSet(false)) boundNames.clear();
        if (redeliver.getAndSet(false)) {
            try {
                replyDecided();
            } catch (RuntimeException e) {
                redeliver.set(true);
                throw e;
            }
        }
        boolean due = !clock.instant().isBefore(nextResync);
        boolean refreshDue = !clock.instant().isBefore(nextRefresh);
        boolean containersChanged = (registrationsChanged.getAndSet(false) | due | refreshDue) && refreshContainers();
        if (commandsChanged.getAndSet(false)) installCommands();
        boolean resync = containersChanged || due;
        if (resync) {
            // Drop directories are rescanned by the watcher (bounded, round-robin): never here,
            // where one guest's full directory would hold up every other guest's request.
            for (GuestChannel c : channels.all()) {
                attach(c);
                pruneReplies(c);
            }
        }
        int served = drainQueue();
        if (resync) {
            reconciler.reconcileAll();
            nextResync = clock.instant().plus(config.resyncInterval());
        }
        if (served > 0 || resync) writeStatuses();
        if (resync) pruneRepliedRequests();
    }

    /**
     * Serves queued requests round-robin across containers until none is left or a batch is
     * done; returns how many it served.
     */
    private int drainQueue() {
        int served = 0;
        // Deciding writes (history, state, queue marks): queued requests wait for space, kept.
        if (disk.isFull()) return served;
        while (running && served < BATCH) {
            List<ContainerName> waiting = db.transaction(tx -> queue.containersWithQueued(tx.dsl()));
            if (waiting.isEmpty()) break;
            for (ContainerName name : waiting) {
                Optional<QueuedRequest> next = db.transaction(tx -> queue.oldestQueued(tx.dsl(), name));
                if (next.isEmpty()) continue;
                processor.process(next.get(), channels.get(name));
                served++;
            }
        }
        if (served >= BATCH) poke();
        return served;
    }

    /** Keeps the queue table bounded: old REPLIED rows go (history keeps every outcome). */
    private void pruneRepliedRequests() {
        if (disk.isFull() || clock.instant().isBefore(nextPrune)) return;
        nextPrune = clock.instant().plus(PRUNE_EVERY);
        int pruned = db.transaction(tx -> queue.pruneReplied(tx.dsl(), REPLIED_KEPT, PRUNE_BATCH));
        if (pruned > 0) log.info("pruned {} replied requests older than {} from the queue table", pruned, REPLIED_KEPT);
    }

    /** On start-up: deliver replies of requests decided before a crash. */
    void replyDecided() {
        for (QueuedRequest r : db.transaction(tx -> queue.decidedNotReplied(tx.dsl()))) {
            processor.deliver(r, r.reply(), channels.get(r.container()));
        }
    }

    private boolean refreshContainers() {
        List<ContainerStore.Registration> candidates = new java.util.ArrayList<>();
        for (ContainerStore.Registration r : db.transaction(tx -> containers.list(tx.dsl()))) {
            if (r.pid().isPresent() || r.pidFile().isPresent()) candidates.add(r);
        }
        for (DiscoveredContainer found : discovery.snapshot()) {
            ContainerName name = boundName(found);
            candidates.add(new ContainerStore.Registration(name, found.runtime(), Optional.of(found.pid()),
                    found.startTime().isPresent() ? Optional.of(found.startTime().getAsLong()) : Optional.empty(),
                    Optional.empty()));
        }
        ContainerRegistry.Changes changes = registry.refresh(candidates);
        nextRefresh = changes.retrySoon() ? clock.instant().plus(STARTING_RETRY) : Instant.MAX;
        for (ContainerName gone : changes.stopped()) {
            watcher.unwatch(gone);
            channels.close(gone);
            log.info("container={} stopped", gone);
        }
        for (ContainerName started : changes.started()) {
            try {
                GuestChannel channel = GuestChannel.open(kernel, config.guestsDir(), started, config.dropMaxBytes(),
                        config.dropMaxInodes());
                channels.put(channel);
                channel.installCommands(script, enabledVerbs(started));
                watcher.watch(channel);
                log.info("container={} running (pid {})", started, registry.handle(started).orElseThrow().pid());
            } catch (IOException e) {
                log.error("container={} cannot set up /.syscmd and /syscmd: {}", started, e.getMessage());
            }
        }
        runningListener.accept(registry.running());
        if (!changes.started().isEmpty()) replyDecided();
        return !changes.isEmpty();
    }

    /** castd's name for a discovered container: bound in the database the first time it is seen. */
    private ContainerName boundName(DiscoveredContainer found) {
        return boundNames.computeIfAbsent(found.qualifiedName(), key -> {
            ContainerName name = db.transaction(tx -> containers.bind(tx.dsl(), found.runtime(), found.name()));
            if (!name.value().equals(found.name())) {
                log.info("container={} is {} container {} (the name {} was taken)", name, found.runtime(), found.name(),
                        found.name());
            }
            return name;
        });
    }

    private void attach(GuestChannel channel) {
        registry.handle(channel.name()).ifPresent(h -> {
            try {
                channel.attach(kernel, h);
            } catch (IOException | MountRefused e) {
                log.warn("container={} cannot attach /.syscmd or /syscmd: {}", channel.name(), e.getMessage());
            }
        });
    }

    private void pruneReplies(GuestChannel channel) {
        try {
            channel.pruneReplies(clock.instant().minus(config.replyRetention()));
        } catch (IOException e) {
            log.warn("container={} cannot prune replies: {}", channel.name(), e.getMessage());
        }
    }

    private void installCommands() {
        for (GuestChannel c : channels.all()) {
            try {
                c.installCommands(script, enabledVerbs(c.name()));
            } catch (IOException e) {
                log.warn("container={} cannot install guest commands: {}", c.name(), e.getMessage());
            }
        }
    }

    private Set<Verb> enabledVerbs(ContainerName name) {
        SharingState state = db.transaction(tx -> sharing.read(tx.dsl()));
        Set<Verb> enabled = EnumSet.noneOf(Verb.class);
        for (Verb v : Verb.values()) if (state.isEnabled(name, v)) enabled.add(v);
        return enabled;
    }

    private void writeStatuses() {
        SharingState state = db.transaction(tx -> sharing.read(tx.dsl()));
        for (GuestChannel c : channels.all()) {
            try {
                c.writeStatus(ShareView.all(c.name(), state));
            } catch (IOException e) {
                log.warn("container={} cannot write status: {}", c.name(), e.getMessage());
            }
        }
    }
}
