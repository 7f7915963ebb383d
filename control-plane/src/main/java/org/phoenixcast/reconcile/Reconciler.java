package org.phoenixcast.reconcile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.Owner;
import org.phoenixcast.model.PlacedMount;
import org.phoenixcast.model.Printable;
import org.phoenixcast.model.SharingState;
import org.phoenixcast.model.SourceRef;
import org.phoenixcast.mount.ContainerHandle;
import org.phoenixcast.mount.MountFacade;
import org.phoenixcast.mount.MountInfo;
import org.phoenixcast.mount.MountRefused;
import org.phoenixcast.mount.MountSource;
import org.phoenixcast.mount.MountSpec;
import org.phoenixcast.policy.DesiredMounts;
import org.phoenixcast.runtime.ContainerRegistry;
import org.phoenixcast.store.Database;
import org.phoenixcast.store.HistoryStore;
import org.phoenixcast.store.SharingStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Makes each running receiver's real mounts (its mountinfo) match the desired state. Must be
 * idempotent: running it twice, or after a crash at any point, converges to the same mounts
 * with no duplicate. Thread contract: runs on the worker thread only.
 */
public final class Reconciler {
    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);
    /** mount_id of a placed_mount row written before move_mount: the intent, not yet a mount. */
    static final long PENDING = 0;
    /** A guest renaming a moved mount's directory while castd unmounts it is chased this often, then left. */
    private static final int MOVED_MOUNT_ATTEMPTS = 3;

    private final Database db;
    private final SharingStore sharing;
    private final HistoryStore history;
    private final MountFacade kernel;
    private final ContainerRegistry registry;
    private final DesiredMounts desired;
    /** Last failure per (receiver, target): a failure is recorded in history once, not at every resync. */
    private final Map<String, String> lastFailure = new HashMap<>();
    /** (receiver, target) of placed mounts castd could not unmount: "failed" is recorded once, retried every pass. */
    private final Set<String> unmountFailures = new java.util.HashSet<>();

    public Reconciler(Database db, SharingStore sharing, HistoryStore history, MountFacade kernel,
                      ContainerRegistry registry, DesiredMounts desired) {
        this.db = db;
        this.sharing = sharing;
        this.history = history;
        this.kernel = kernel;
        this.registry = registry;
        this.desired = desired;
    }

    /** Reconciles every registered receiver; forgets placed mounts of receivers that stopped. */
    public List<MountEvent> reconcileAll() {
        List<MountEvent> events = new ArrayList<>();
        Set<ContainerName> running = registry.running();
        SharingState state = db.transaction(tx -> sharing.read(tx.dsl()));
        for (PlacedMount p : state.placed()) {
            if (!running.contains(p.receiver())) {
                // Its mount namespace is gone with it; the record is stale.
                db.transaction(tx -> {
                    sharing.forgetPlaced(tx.dsl(), p.receiver(), p.target());
                    return null;
                });
            }
        }
        // One snapshot serves every receiver: a receiver's desired mounts do not depend on the
        // placed mounts of another, and each receiver's own placed rows change only below.
        for (ContainerName receiver : running) events.addAll(reconcile(receiver, state));
        return events;
    }

    private List<MountEvent> reconcile(ContainerName receiver, SharingState state) {
        Optional<ContainerHandle> handle = registry.handle(receiver);
        if (handle.isEmpty()) return List.of();
        MDC.put("container", receiver.value());
        try {
            return reconcile(receiver, handle.get(), state);
        } finally {
            MDC.remove("container");
        }
    }

    private List<MountEvent> reconcile(ContainerName receiver, ContainerHandle handle, SharingState state) {
        List<MountEvent> events = new ArrayList<>();
        List<MountInfo> table;
        try {
            table = kernel.mountTable(handle);
        } catch (IOException e) {
            log.warn("container={} cannot read its mount table: {}", receiver, e.getMessage());
            return events;
        }
        Map<GuestPath, DesiredMounts.Desired> want = desired.forReceiver(receiver, state, registry.running());
        Map<GuestPath, PlacedMount> have = new HashMap<>();
        for (PlacedMount placed : state.placedIn(receiver)) {
            PlacedMount adopted = placed.mountId() == PENDING && placed.receiverPid() == handle.pid()
                    ? adoptPending(receiver, handle, placed, table) : placed;
            Optional<MountInfo> atTarget = adopted.receiverPid() != handle.pid() ? Optional.empty() : table.stream()
                    .filter(m -> adopted.sameMount(m.mountId(), m.device()) && m.mountPoint().equals(adopted.target().value()))
                    .findFirst();
            // At its target: learn (or follow, after the owner renamed the source) device and root.
            PlacedMount p = atTarget.isPresent() && !adopted.sameRoot(atTarget.get().root())
                    ? learnIdentity(adopted, atTarget.get()) : adopted;
            // Chased elsewhere only with the id, device and root castd placed: ids are reused.
            Optional<MountInfo> elsewhere = atTarget.isPresent() || p.mountId() == PENDING || p.receiverPid() != handle.pid()
                    ? Optional.empty() : findPlaced(table, p);
            Optional<MountInfo> moved = elsewhere.filter(m -> p.sameRoot(m.root()));
            if (atTarget.isPresent()) {
                have.put(p.target(), p);
            } else if (moved.isPresent()) {
                detachMoved(receiver, handle, p, moved.get());
            } else if (p.mountId() == PENDING) {
                db.transaction(tx -> {
                    sharing.forgetPlaced(tx.dsl(), receiver, p.target());
                    return null;
                });
            } else if (elsewhere.isPresent()) {
                // Moved, but device or root unknown or changed: which mount it is cannot be told
                // from a reusable id, so it is neither chased nor forgotten.
                stillMounted(receiver, p, "moved by the guest to " + Printable.quote(elsewhere.get().mountPoint())
                        + "; its device and root are not the recorded ones, not chased");
            } else {
                log.info("container={} mount of {} at {} is gone (unmounted by the guest or the guest restarted)",
                        receiver, p.source(), p.target());
                unmountFailures.remove(key(receiver, p.target()));
                db.transaction(tx -> {
                    sharing.forgetPlaced(tx.dsl(), receiver, p.target());
                    history.record(tx.dsl(), receiver.value(), "mount", p.source() + " " + p.target(), "vanished",
                            "no longer in the guest's mount table", null);
                    return null;
                });
            }
        }
        // Unmount what is no longer wanted, children before parents.
        List<PlacedMount> surplus = new ArrayList<>();
        for (PlacedMount p : have.values()) {
            DesiredMounts.Desired d = want.get(p.target());
            if (d == null || !d.source().equals(p.source()) || d.access() != p.access()) surplus.add(p);
        }
        surplus.sort((a, b) -> b.target().components().size() - a.target().components().size());
        for (PlacedMount p : surplus) {
            try {
                kernel.detach(handle, p.target(), p.mountId());
                // Still there? The guest may have moved it since the table above was read (detach
                // found nothing at the target: chase it where it is now), or mounted over it at
                // the target (detach saw the guest's mount on top and left both): castd keeps the
                // row and tries again at every pass, never forgetting a mount that is still there.
                Optional<MountInfo> still = findPlaced(kernel.mountTable(handle), p);
                if (still.isPresent() && !still.get().mountPoint().equals(p.target().value())) {
                    detachMoved(receiver, handle, p, still.get());
                    have.remove(p.target());
                    continue;
                }
                if (still.isPresent()) {
                    stillMounted(receiver, p, "still mounted at " + p.target() + " (the guest mounted over it?)");
                    continue;
                }
                have.remove(p.target());
                unmountFailures.remove(key(receiver, p.target()));
                events.add(new MountEvent(MountEvent.Kind.UNMOUNTED, receiver, p.source(), p.target(), p.access(), ""));
                db.transaction(tx -> {
                    sharing.forgetPlaced(tx.dsl(), receiver, p.target());
                    history.record(tx.dsl(), receiver.value(), "unmount", p.source() + " " + p.target(), "unmounted",
                            "no longer shared, accepted or allowed", null);
                    return null;
                });
            } catch (IOException e) {
                log.warn("container={} cannot unmount {}: {}", receiver, p.target(), e.getMessage());
            }
        }
        // Mount what is wanted and missing, parents first (the map is ordered so).
        for (DesiredMounts.Desired d : want.values()) {
            if (have.containsKey(d.target())) continue;
            events.add(place(receiver, handle, d));
        }
        return events;
    }

    /**
     * The guest moved a mount castd placed (renamed a directory above it, or {@code mount --move}):
     * it is still the share, but no longer where castd would look for it to unmount it, so a
     * castoff, an owner's ucast or a block would leave the receiver holding the owner's folder.
     * castd detaches it where it is now (the unmount is checked by mount id on the fd resolved
     * there, as at the target) and forgets it; the normal pass mounts the share again at its
     * target if it is still wanted. A guest renaming while castd looks is chased a few times.
     *
     * <p>The mount is found by its id together with the device and root castd recorded when it
     * placed it: mountinfo ids are reused lowest-free, and a mount with a reused id may be one
     * the guest itself may not unmount (a runtime's locked mask), so an id alone is never enough.
     * A mount castd cannot unmount (moved where openat2 fails, or covered by a guest's mount) is
     * never forgotten: the row stays, "failed" is recorded once, and every pass tries again.
     */
    private void detachMoved(ContainerName receiver, ContainerHandle handle, PlacedMount p, MountInfo where) {
        String reason = "moved by the guest to " + Printable.quote(where.mountPoint()) + " and could not be unmounted there";
        MountInfo now = where;
        for (int attempt = 0; attempt < MOVED_MOUNT_ATTEMPTS && now != null; attempt++) {
            try {
                kernel.detachMoved(handle, now.mountPoint(), p.mountId(), p.device(), p.root());
                now = findPlaced(kernel.mountTable(handle), p).orElse(null);
            } catch (IOException | RuntimeException e) {
                reason = reason + ": " + Printable.quote(String.valueOf(e.getMessage()));
                break;
            }
        }
        if (now != null) {
            // Never forgotten while mounted: the row stays and every pass tries again.
            stillMounted(receiver, p, reason);
            return;
        }
        String done = "moved by the guest to " + Printable.quote(where.mountPoint()) + "; unmounted there";
        log.info("container={} mount of {} at {} was {}", receiver, p.source(), p.target(), done);
        unmountFailures.remove(key(receiver, p.target()));
        db.transaction(tx -> {
            sharing.forgetPlaced(tx.dsl(), receiver, p.target());
            history.record(tx.dsl(), receiver.value(), "unmount", p.source() + " " + p.target(), "unmounted", done, null);
            return null;
        });
    }

    /** A placed mount castd could not unmount: logged and recorded "failed" once per (receiver, target). */
    private void stillMounted(ContainerName receiver, PlacedMount p, String reason) {
        String key = key(receiver, p.target());
        if (unmountFailures.add(key)) {
            log.warn("container={} cannot unmount {} at {}: {}; trying again at every pass", receiver, p.source(), p.target(), reason);
            db.transaction(tx -> {
                history.record(tx.dsl(), receiver.value(), "unmount", p.source() + " " + p.target(), "failed", reason, null);
                return null;
            });
        }
    }

    /** The key of a (receiver, target) pair in {@link #lastFailure} and {@link #unmountFailures}. */
    private static String key(ContainerName receiver, GuestPath target) {
        return receiver + " " + target;
    }

    /** The receiver's mount that may be {@code p}: its id with the device castd placed (the root may have changed). */
    private static Optional<MountInfo> findPlaced(List<MountInfo> table, PlacedMount p) {
        return table.stream().filter(m -> p.sameMount(m.mountId(), m.device())).findFirst();
    }

    /** Records device and root of a placed mount seen at its target (rows written without them). */
    private PlacedMount learnIdentity(PlacedMount p, MountInfo m) {
        PlacedMount known = p.withIdentity(m.device(), m.root());
        db.transaction(tx -> {
            sharing.recordPlaced(tx.dsl(), known);
            return null;
        });
        return known;
    }

    private MountEvent place(ContainerName receiver, ContainerHandle handle, DesiredMounts.Desired d) {
        String key = key(receiver, d.target());
        try {
            MountSource source = sourceOf(d.source());
            // Intent first: a crash between move_mount and the commit below leaves a PENDING row,
            // and recovery adopts the mount already there instead of stacking a second one.
            db.transaction(tx -> {
                sharing.recordPlaced(tx.dsl(), new PlacedMount(receiver, d.target(), d.source(), d.access(), PENDING, handle.pid()));
                return null;
            });
            long mountId = kernel.inject(handle, new MountSpec(source, d.target(), d.access(), false));
            PlacedMount placed = new PlacedMount(receiver, d.target(), d.source(), d.access(), mountId, handle.pid());
            // Its device and root, read at once: by id alone (the guest may already have moved it;
            // the id was just given to castd's mount and is free for reuse only once it is gone).
            Optional<MountInfo> line = kernel.mountTable(handle).stream().filter(m -> m.mountId() == mountId).findFirst();
            if (line.isPresent()) placed = placed.withIdentity(line.get().device(), line.get().root());
            PlacedMount record = placed;
            lastFailure.remove(key);
            MountEvent event = new MountEvent(MountEvent.Kind.MOUNTED, receiver, d.source(), d.target(), d.access(), "");
            log.info("container={} {}", receiver, event.describe());
            db.transaction(tx -> {
                sharing.recordPlaced(tx.dsl(), record);
                history.record(tx.dsl(), receiver.value(), "mount", d.source() + " " + d.target(), "mounted",
                        d.access().label(), null);
                return null;
            });
            return event;
        } catch (MountRefused | IOException e) {
            db.transaction(tx -> {
                sharing.forgetPlaced(tx.dsl(), receiver, d.target());
                return null;
            });
            String reason = e.getMessage();
            MountEvent event = new MountEvent(MountEvent.Kind.FAILED, receiver, d.source(), d.target(), d.access(), reason);
            if (!reason.equals(lastFailure.put(key, reason))) {
                log.warn("container={} {}", receiver, event.describe());
                db.transaction(tx -> {
                    history.record(tx.dsl(), receiver.value(), "mount", d.source() + " " + d.target(), "failed", reason, null);
                    return null;
                });
            }
            return event;
        }
    }

    /**
     * A PENDING row means castd stopped between placing a mount and recording it. If the share's
     * source is on top of the target with the recorded access, adopt that mount; otherwise the
     * row is dropped and the normal pass mounts it.
     */
    private PlacedMount adoptPending(ContainerName receiver, ContainerHandle handle, PlacedMount p, List<MountInfo> table) {
        try {
            var found = kernel.findPlaced(handle, new MountSpec(sourceOf(p.source()), p.target(), p.access(), false));
            if (found.isPresent()) {
                long id = found.getAsLong();
                boolean accessMatches = table.stream().anyMatch(m -> m.mountId() == id
                        && m.readOnly() == (p.access() == org.phoenixcast.model.Access.READ_ONLY));
                if (accessMatches) {
                    PlacedMount adopted = new PlacedMount(receiver, p.target(), p.source(), p.access(), id, p.receiverPid());
                    db.transaction(tx -> {
                        sharing.recordPlaced(tx.dsl(), adopted);
                        return null;
                    });
                    log.info("container={} adopted mount {} of {} at {} placed before a restart", receiver, id, p.source(), p.target());
                    return adopted;
                }
            }
        } catch (IOException | MountRefused e) {
            log.warn("container={} cannot check pending mount at {}: {}", receiver, p.target(), e.getMessage());
        }
        return p;
    }

    private MountSource sourceOf(SourceRef source) throws MountRefused {
        if (source.owner() instanceof Owner.Guest g) {
            ContainerHandle owner = registry.handle(g.container())
                    .orElseThrow(() -> new MountRefused(g.container() + " is not running"));
            return new MountSource.GuestFolder(owner, source.path());
        }
        return new MountSource.HostPath(Path.of(source.path().value()));
    }
}
