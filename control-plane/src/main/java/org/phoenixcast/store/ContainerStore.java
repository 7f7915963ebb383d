package org.phoenixcast.store;

import static org.phoenixcast.store.schema.Tables.ACCEPTANCE;
import static org.phoenixcast.store.schema.Tables.BLOCK;
import static org.phoenixcast.store.schema.Tables.CONTAINER;
import static org.phoenixcast.store.schema.Tables.DISABLED_VERB;
import static org.phoenixcast.store.schema.Tables.SHARE;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;
import org.phoenixcast.model.ContainerName;

/**
 * The containers castd knows: registered ones (castctl, sandboxes) with how to find their init
 * process, and discovered ones (runtime adapters) with the name castd bound to them.
 */
public final class ContainerStore {
    private final Clock clock;

    public ContainerStore(Clock clock) {
        this.clock = clock;
    }

    /** How a registered container is found: a fixed PID, or a PID file re-read to follow restarts. */
    public record Registration(ContainerName name, String runtime, Optional<Integer> pid, Optional<Long> pidStart,
                               Optional<String> pidFile) {}

    /** Runtimes whose containers castctl registers by PID; every other runtime's are discovered. */
    private static final java.util.Set<String> REGISTERED_RUNTIMES = java.util.Set.of("pid", "sandbox");

    /**
     * Registers (or re-registers) a container found by PID or PID file. Refused with a message
     * naming it when the name is already castd's name for a discovered container: a
     * registration must never take over another runtime's container's shares.
     */
    public void register(DSLContext tx, Registration r) {
        String taken = tx.select(CONTAINER.RUNTIME).from(CONTAINER).where(CONTAINER.NAME.eq(r.name().value()))
                .fetchOne(CONTAINER.RUNTIME);
        if (taken != null && !REGISTERED_RUNTIMES.contains(taken)) {
            throw new IllegalArgumentException("container name " + r.name() + " is taken by a " + taken
                    + " container; register this one under another name");
        }
        tx.deleteFrom(CONTAINER).where(CONTAINER.NAME.eq(r.name().value())).execute();
        tx.insertInto(CONTAINER, CONTAINER.NAME, CONTAINER.RUNTIME, CONTAINER.RUNTIME_NAME, CONTAINER.PID,
                        CONTAINER.PID_START, CONTAINER.PID_FILE, CONTAINER.REGISTERED_AT)
                .values(r.name().value(), r.runtime(), r.name().value(), r.pid().orElse(null), r.pidStart().orElse(null),
                        r.pidFile().orElse(null), OffsetDateTime.now(clock))
                .execute();
    }

    public void updatePid(DSLContext tx, ContainerName name, Integer pid, Long pidStart) {
        tx.update(CONTAINER).set(CONTAINER.PID, pid).set(CONTAINER.PID_START, pidStart)
                .where(CONTAINER.NAME.eq(name.value())).execute();
    }

    public boolean remove(DSLContext tx, ContainerName name) {
        return tx.deleteFrom(CONTAINER).where(CONTAINER.NAME.eq(name.value())).execute() > 0;
    }

    /**
     * castd's name for the container that {@code runtime} calls {@code runtimeName}, binding one
     * the first time: the runtime's name itself when no known container has it, else
     * {@code runtime:runtimeName}. When the bare name is bound, references an admin or guest
     * wrote in the qualified form before the container was first seen are rewritten to it, so
     * both spellings keep naming the same container. {@code runtimeName} must be a valid bare
     * container name (adapters' names are checked before they get here).
     */
    public ContainerName bind(DSLContext tx, String runtime, String runtimeName) {
        String bound = tx.select(CONTAINER.NAME).from(CONTAINER)
                .where(CONTAINER.RUNTIME.eq(runtime).and(CONTAINER.RUNTIME_NAME.eq(runtimeName)))
                .fetchOne(CONTAINER.NAME);
        if (bound != null) return ContainerName.parse(bound);
        ContainerName qualified = ContainerName.qualified(runtime, runtimeName);
        boolean bareFree = ContainerName.isValidBare(runtimeName)
                && !tx.fetchExists(CONTAINER, CONTAINER.NAME.eq(runtimeName));
        ContainerName name = bareFree ? ContainerName.parse(runtimeName) : qualified;
        tx.insertInto(CONTAINER, CONTAINER.NAME, CONTAINER.RUNTIME, CONTAINER.RUNTIME_NAME, CONTAINER.REGISTERED_AT)
                .values(name.value(), runtime, runtimeName, OffsetDateTime.now(clock)).execute();
        if (bareFree) rename(tx, qualified.value(), name.value());
        return name;
    }

    /**
     * The name castd uses for {@code name}: a qualified name of a known container
     * ({@code lxc:web}) becomes the name bound to it ({@code web} if that was free); anything
     * else is returned as it is.
     */
    public ContainerName resolve(DSLContext tx, ContainerName name) {
        if (name.runtime().isEmpty()) return name;
        String bound = tx.select(CONTAINER.NAME).from(CONTAINER)
                .where(CONTAINER.RUNTIME.eq(name.runtime().get()).and(CONTAINER.RUNTIME_NAME.eq(name.bareName())))
                .fetchOne(CONTAINER.NAME);
        return bound == null ? name : ContainerName.parse(bound);
    }

    /** Rewrites every sharing reference to {@code from} (a name no container holds yet) to {@code to}. */
    private static void rename(DSLContext tx, String from, String to) {
        tx.update(SHARE).set(SHARE.OWNER, to).where(SHARE.OWNER.eq(from)).execute();
        tx.update(SHARE).set(SHARE.RECEIVER, to).where(SHARE.RECEIVER.eq(from)).execute();
        tx.update(ACCEPTANCE).set(ACCEPTANCE.OWNER, to).where(ACCEPTANCE.OWNER.eq(from)).execute();
        tx.update(ACCEPTANCE).set(ACCEPTANCE.RECEIVER, to).where(ACCEPTANCE.RECEIVER.eq(from)).execute();
        tx.update(BLOCK).set(BLOCK.RECEIVER, to).where(BLOCK.RECEIVER.eq(from)).execute();
        tx.update(DISABLED_VERB).set(DISABLED_VERB.CONTAINER, to).where(DISABLED_VERB.CONTAINER.eq(from)).execute();
    }

    /** Every known container with its runtime's name for it (castctl container list). */
    public record Known(ContainerName name, String runtime, String runtimeName) {}

    public List<Known> known(DSLContext tx) {
        return tx.selectFrom(CONTAINER).orderBy(CONTAINER.NAME).fetch(r -> new Known(
                ContainerName.parse(r.getName()), r.getRuntime(), r.getRuntimeName()));
    }

    public List<Registration> list(DSLContext tx) {
        return tx.selectFrom(CONTAINER).orderBy(CONTAINER.NAME).fetch(r -> new Registration(
                ContainerName.parse(r.getName()), r.getRuntime(), Optional.ofNullable(r.getPid()),
                Optional.ofNullable(r.getPidStart()), Optional.ofNullable(r.getPidFile())));
    }

    public Optional<Registration> find(DSLContext tx, ContainerName name) {
        return list(tx).stream().filter(r -> r.name().equals(name)).findFirst();
    }
}
