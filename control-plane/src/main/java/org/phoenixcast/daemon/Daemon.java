package org.phoenixcast.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.phoenixcast.admin.AdminServer;
import org.phoenixcast.admin.ControlPlane;
import org.phoenixcast.channel.GuestChannels;
import org.phoenixcast.channel.GuestScripts;
import org.phoenixcast.config.CastdConfig;
import org.phoenixcast.discovery.Discovery;
import org.phoenixcast.discovery.RuntimeAdapters;
import org.phoenixcast.linux.PidfdExitWatch;
import org.phoenixcast.runtime.ProcessExits;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.mount.MountFacade;
import org.phoenixcast.policy.DesiredMounts;
import org.phoenixcast.policy.ForbiddenPaths;
import org.phoenixcast.policy.SharingPolicy;
import org.phoenixcast.queue.RequestQueue;
import org.phoenixcast.reconcile.Reconciler;
import org.phoenixcast.reconcile.RequestProcessor;
import org.phoenixcast.runtime.ContainerRegistry;
import org.phoenixcast.store.ContainerStore;
import org.phoenixcast.store.Database;
import org.phoenixcast.store.HistoryStore;
import org.phoenixcast.store.SharingStore;
import org.phoenixcast.store.StateDisk;
import org.phoenixcast.watch.DropIntake;
import org.phoenixcast.watch.DropWatcher;
import org.phoenixcast.watch.RefusalBursts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * castd's running control plane: database, worker, watcher and admin socket. {@link #close()}
 * is idempotent and safe from a shutdown hook. Mounts and the guests' tmpfs directories are
 * left in place on shutdown: guests keep their shares while castd restarts.
 */
public final class Daemon implements ControlPlane, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    /** How long shutdown waits for the worker to finish its current request. */
    private static final long SHUTDOWN_GRACE_SECONDS = 10;
    /** How long the first reconciliation waits for every runtime's first listing. */
    private static final java.time.Duration FIRST_LISTING_TIMEOUT = java.time.Duration.ofSeconds(10);

    private final CastdConfig config;
    private final MountFacade kernel;
    private final Database db;
    private final StateDisk disk;
    private final ContainerStore containers;
    private final SharingStore sharing;
    private final HistoryStore history;
    private final RequestQueue queue;
    private final SharingPolicy policy;
    private final ContainerRegistry registry;
    private final GuestChannels channels = new GuestChannels();
    private final DropWatcher watcher;
    private final Worker worker;
    private final Thread workerThread;
    private final Thread watcherThread;
    private final PidfdExitWatch exitWatch;
    private final Thread exitThread;
    private final Discovery discovery;
    private final AtomicBoolean closed = new AtomicBoolean();
    private AdminServer admin;
    private volatile Set<ContainerName> runningSnapshot = Set.of();

    private Daemon(CastdConfig config, MountFacade kernel, Database db) throws IOException {
        Clock clock = Clock.systemUTC();
        this.config = config;
        this.kernel = kernel;
        this.db = db;
        this.containers = new ContainerStore(clock);
        this.sharing = new SharingStore(clock);
        this.history = new HistoryStore(clock);
        this.queue = new RequestQueue(clock);
        ForbiddenPaths forbidden = new ForbiddenPaths(config.forbiddenTargets());
        this.policy = new SharingPolicy(forbidden);
        this.exitWatch = PidfdExitWatch.create(this::containerExited);
        this.registry = new ContainerRegistry(kernel, new ProcessExits() {
            @Override public void track(int pid, java.util.function.BooleanSupplier stillSame) { exitWatch.track(pid, stillSame); }
            @Override public void untrack(int pid) { exitWatch.untrack(pid); }
        });
        this.discovery = Discovery.start(RuntimeAdapters.create(config.runtimes()), config.runtimes(), this::runtimeChanged);
        Reconciler reconciler = new Reconciler(db, sharing, history, kernel, registry, new DesiredMounts(forbidden));
        RequestProcessor processor = new RequestProcessor(db, sharing, history, queue, policy, reconciler, containers,
                config.requestMaxLines());
        this.disk = new StateDisk(config.databaseDir());
        DropIntake intake = new DropIntake(db, queue, history, new RefusalBursts(clock, history),
                config.requestMaxBytes(), config.guestMaxQueued(), disk, processor::answerWithoutWriting);
        this.watcher = new DropWatcher(kernel.newInotify(), channels, intake, this::requestArrived, clock,
                config.resyncInterval(), config.guestRequestsPerSecond(), config.guestRequestsPerSecond());
        this.worker = new Worker(config, clock, db, disk, kernel, containers, sharing, queue, registry, channels,
                watcher, reconciler, processor, discovery, GuestScripts.load(), this::publishRunning);
        this.workerThread = new Thread(this::runWorker, "castd-worker");
        this.watcherThread = new Thread(watcher, "castd-watch");
        this.exitThread = new Thread(exitWatch, "castd-exits");
        this.exitThread.setDaemon(true);
    }

    /** Starts castd on {@code config}; the kernel facade has already proved the kernel has what we need. */
    public static Daemon start(CastdConfig config, MountFacade kernel) throws IOException {
        Path state = config.stateDir();
        Files.createDirectories(state);
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwx------"));
        Database db = Database.open(config.databaseDir());
        Daemon daemon = new Daemon(config, kernel, db);
        daemon.workerThread.start();
        daemon.watcherThread.start();
        daemon.exitThread.start();
        daemon.admin = AdminServer.start(config.adminSocket(), daemon);
        log.info("castd running, state in {}", state);
        return daemon;
    }

    private void runWorker() {
        try {
            List<String> late = discovery.awaitFirstListings(FIRST_LISTING_TIMEOUT);
            if (!late.isEmpty()) log.warn("runtimes {} not listed within {}; starting without them", late, FIRST_LISTING_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        worker.replyDecided();
        worker.run();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        log.info("castd shutting down");
        if (admin != null) admin.close();
        discovery.close();
        worker.stop();
        watcher.close();
        exitWatch.close();
        try {
            workerThread.join(TimeUnit.SECONDS.toMillis(SHUTDOWN_GRACE_SECONDS));
            watcherThread.join(TimeUnit.SECONDS.toMillis(SHUTDOWN_GRACE_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        channels.closeAll();
        registry.close();
        db.close();
        kernel.close();
        log.info("castd stopped");
    }

    /** Called by the worker after each container refresh. */
    void publishRunning(Set<ContainerName> running) {
        runningSnapshot = Set.copyOf(running);
    }

    @Override public Database db() { return db; }
    @Override public ContainerStore containers() { return containers; }
    @Override public SharingStore sharing() { return sharing; }
    @Override public HistoryStore history() { return history; }
    @Override public RequestQueue queue() { return queue; }
    @Override public SharingPolicy policy() { return policy; }
    @Override public MountFacade kernel() { return kernel; }
    @Override public Path stateDir() { return config.stateDir(); }
    @Override public Set<ContainerName> running() { return runningSnapshot; }
    /** A guest request was queued: serve it; registrations are untouched. */
    private void requestArrived() {
        worker.poke();
    }

    /** Admin changes may touch registrations: the worker refreshes containers at once. */
    @Override public void poke() { worker.containersEdited(); }

    /** A container's init exited (its pidfd turned readable): clean it out at once. */
    private void containerExited(int pid) {
        log.debug("init PID {} exited", pid);
        worker.registrationsChanged();
    }

    /** A runtime started or stopped a container. */
    private void runtimeChanged() {
        worker.registrationsChanged();
    }
    @Override public void commandsChanged() { worker.commandsChanged(); }
}
