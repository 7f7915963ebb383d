package org.phoenixcast.store;

import static org.phoenixcast.store.schema.Tables.ACCEPTANCE;
import static org.phoenixcast.store.schema.Tables.BLOCK;
import static org.phoenixcast.store.schema.Tables.DISABLED_VERB;
import static org.phoenixcast.store.schema.Tables.PLACED_MOUNT;
import static org.phoenixcast.store.schema.Tables.SHARE;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jooq.DSLContext;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.Acceptance;
import org.phoenixcast.model.Block;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.DisabledVerb;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.Owner;
import org.phoenixcast.model.PlacedMount;
import org.phoenixcast.model.Share;
import org.phoenixcast.model.SharingState;
import org.phoenixcast.model.SourceRef;
import org.phoenixcast.model.Verb;
import org.phoenixcast.policy.Change;

/**
 * Reads and changes the desired sharing state and the record of placed mounts. Every method
 * takes the {@link DSLContext} of the caller's transaction, so a request's changes, its
 * history and its queue state commit together.
 */
public final class SharingStore {
    /** The receiver column's spelling of "every container" (a publication). */
    static final String EVERYONE = "*";
    /** The block target's spelling of "everything". */
    static final String ALL = "*";

    private final Clock clock;

    public SharingStore(Clock clock) {
        this.clock = clock;
    }

    public SharingState read(DSLContext tx) {
        List<Share> shares = tx.selectFrom(SHARE).orderBy(SHARE.OWNER, SHARE.SOURCE_PATH, SHARE.RECEIVER).fetch(r -> new Share(
                Owner.parse(r.getOwner()), GuestPath.parse(r.getSourcePath()),
                EVERYONE.equals(r.getReceiver()) ? Optional.empty() : Optional.of(ContainerName.parse(r.getReceiver())),
                GuestPath.parse(r.getTargetPath()), Access.ofLabel(r.getAccess())));
        List<Acceptance> acceptances = tx.selectFrom(ACCEPTANCE).orderBy(ACCEPTANCE.RECEIVER, ACCEPTANCE.OWNER, ACCEPTANCE.SOURCE_PATH)
                .fetch(r -> new Acceptance(ContainerName.parse(r.getReceiver()),
                        new SourceRef(Owner.parse(r.getOwner()), GuestPath.parse(r.getSourcePath())), r.getSurvivesBlockAll()));
        List<Block> blocks = tx.selectFrom(BLOCK).orderBy(BLOCK.RECEIVER, BLOCK.TARGET_PATH).fetch(r -> new Block(
                ContainerName.parse(r.getReceiver()),
                ALL.equals(r.getTargetPath()) ? Optional.empty() : Optional.of(GuestPath.parse(r.getTargetPath()))));
        List<PlacedMount> placed = tx.selectFrom(PLACED_MOUNT).orderBy(PLACED_MOUNT.RECEIVER, PLACED_MOUNT.TARGET_PATH)
                .fetch(r -> new PlacedMount(ContainerName.parse(r.getReceiver()), GuestPath.parse(r.getTargetPath()),
                        new SourceRef(Owner.parse(r.getOwner()), GuestPath.parse(r.getSourcePath())),
                        Access.ofLabel(r.getAccess()), r.getMountId(), r.getReceiverPid(), r.getMountDevice(), r.getMountRoot()));
        var disabled = tx.selectFrom(DISABLED_VERB).fetch(r -> new DisabledVerb(
                ContainerName.parse(r.getContainer()), Verb.parse(r.getVerb())));
        return new SharingState(shares, acceptances, blocks, placed, disabled.stream().collect(Collectors.toSet()));
    }

    public void apply(DSLContext tx, List<Change> changes) {
        for (Change change : changes) apply(tx, change);
    }

    private void apply(DSLContext tx, Change change) {
        OffsetDateTime now = OffsetDateTime.now(clock);
        if (change instanceof Change.PutShare p) {
            Share s = p.share();
            tx.mergeInto(SHARE)
                    .using(tx.selectOne())
                    .on(SHARE.OWNER.eq(s.owner().name()).and(SHARE.SOURCE_PATH.eq(s.source().value()))
                            .and(SHARE.RECEIVER.eq(receiverKey(s))))
                    .whenMatchedThenUpdate().set(SHARE.TARGET_PATH, s.target().value()).set(SHARE.ACCESS, s.access().label())
                    .whenNotMatchedThenInsert(SHARE.OWNER, SHARE.SOURCE_PATH, SHARE.RECEIVER, SHARE.TARGET_PATH, SHARE.ACCESS, SHARE.CREATED_AT)
                    .values(s.owner().name(), s.source().value(), receiverKey(s), s.target().value(), s.access().label(), now)
                    .execute();
        } else if (change instanceof Change.RemoveShares r) {
            var condition = SHARE.OWNER.eq(r.owner().name()).and(SHARE.SOURCE_PATH.eq(r.source().value()));
            if (r.receiver().isPresent()) condition = condition.and(SHARE.RECEIVER.eq(r.receiver().get().value()));
            tx.deleteFrom(SHARE).where(condition).execute();
        } else if (change instanceof Change.PutAcceptance p) {
            Acceptance a = p.acceptance();
            tx.mergeInto(ACCEPTANCE)
                    .using(tx.selectOne())
                    .on(ACCEPTANCE.RECEIVER.eq(a.receiver().value()).and(ACCEPTANCE.OWNER.eq(a.source().owner().name()))
                            .and(ACCEPTANCE.SOURCE_PATH.eq(a.source().path().value())))
                    .whenMatchedThenUpdate().set(ACCEPTANCE.SURVIVES_BLOCK_ALL, a.survivesBlockAll())
                    .whenNotMatchedThenInsert(ACCEPTANCE.RECEIVER, ACCEPTANCE.OWNER, ACCEPTANCE.SOURCE_PATH,
                            ACCEPTANCE.SURVIVES_BLOCK_ALL, ACCEPTANCE.CREATED_AT)
                    .values(a.receiver().value(), a.source().owner().name(), a.source().path().value(), a.survivesBlockAll(), now)
                    .execute();
        } else if (change instanceof Change.RemoveAcceptance r) {
            tx.deleteFrom(ACCEPTANCE).where(ACCEPTANCE.RECEIVER.eq(r.receiver().value())
                    .and(ACCEPTANCE.OWNER.eq(r.source().owner().name()))
                    .and(ACCEPTANCE.SOURCE_PATH.eq(r.source().path().value()))).execute();
        } else if (change instanceof Change.PutBlock p) {
            tx.insertInto(BLOCK, BLOCK.RECEIVER, BLOCK.TARGET_PATH, BLOCK.CREATED_AT)
                    .values(p.block().receiver().value(), p.block().key(), now).onDuplicateKeyIgnore().execute();
        } else if (change instanceof Change.RemoveBlock r) {
            tx.deleteFrom(BLOCK).where(BLOCK.RECEIVER.eq(r.block().receiver().value())
                    .and(BLOCK.TARGET_PATH.eq(r.block().key()))).execute();
        } else {
            throw new IllegalStateException("unknown change " + change);
        }
    }

    private static String receiverKey(Share s) {
        return s.receiver().map(ContainerName::value).orElse(EVERYONE);
    }

    public void recordPlaced(DSLContext tx, PlacedMount m) {
        tx.deleteFrom(PLACED_MOUNT).where(PLACED_MOUNT.RECEIVER.eq(m.receiver().value())
                .and(PLACED_MOUNT.TARGET_PATH.eq(m.target().value()))).execute();
        tx.insertInto(PLACED_MOUNT, PLACED_MOUNT.RECEIVER, PLACED_MOUNT.TARGET_PATH, PLACED_MOUNT.OWNER, PLACED_MOUNT.SOURCE_PATH,
                        PLACED_MOUNT.ACCESS, PLACED_MOUNT.MOUNT_ID, PLACED_MOUNT.RECEIVER_PID, PLACED_MOUNT.MOUNTED_AT,
                        PLACED_MOUNT.MOUNT_DEVICE, PLACED_MOUNT.MOUNT_ROOT)
                .values(m.receiver().value(), m.target().value(), m.source().owner().name(), m.source().path().value(),
                        m.access().label(), m.mountId(), m.receiverPid(), OffsetDateTime.now(clock), m.device(), m.root())
                .execute();
    }

    public void forgetPlaced(DSLContext tx, ContainerName receiver, GuestPath target) {
        tx.deleteFrom(PLACED_MOUNT).where(PLACED_MOUNT.RECEIVER.eq(receiver.value())
                .and(PLACED_MOUNT.TARGET_PATH.eq(target.value()))).execute();
    }

    public void setVerbEnabled(DSLContext tx, ContainerName container, Verb verb, boolean enabled) {
        if (enabled) {
            tx.deleteFrom(DISABLED_VERB).where(DISABLED_VERB.CONTAINER.eq(container.value())
                    .and(DISABLED_VERB.VERB.eq(verb.word()))).execute();
        } else {
            tx.insertInto(DISABLED_VERB, DISABLED_VERB.CONTAINER, DISABLED_VERB.VERB)
                    .values(container.value(), verb.word()).onDuplicateKeyIgnore().execute();
        }
    }

    /** Removes every share, acceptance, block and disabled verb: used by casts.ini import (replace). */
    public void clearDesired(DSLContext tx) {
        tx.deleteFrom(SHARE).execute();
        tx.deleteFrom(ACCEPTANCE).execute();
        tx.deleteFrom(BLOCK).execute();
        tx.deleteFrom(DISABLED_VERB).execute();
    }
}
