package org.phoenixcast.store;

import static org.phoenixcast.store.schema.Tables.CONTAINER;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;
import org.phoenixcast.model.ContainerName;

/** The containers castd knows, with how to find their init process. */
public final class ContainerStore {
    private final Clock clock;

    public ContainerStore(Clock clock) {
        this.clock = clock;
    }

    /** How a registered container is found: a fixed PID, or a PID file re-read to follow restarts. */
    public record Registration(ContainerName name, String runtime, Optional<Integer> pid, Optional<Long> pidStart,
                               Optional<String> pidFile) {}

    public void register(DSLContext tx, Registration r) {
        tx.deleteFrom(CONTAINER).where(CONTAINER.NAME.eq(r.name().value())).execute();
        tx.insertInto(CONTAINER, CONTAINER.NAME, CONTAINER.RUNTIME, CONTAINER.PID, CONTAINER.PID_START,
                        CONTAINER.PID_FILE, CONTAINER.REGISTERED_AT)
                .values(r.name().value(), r.runtime(), r.pid().orElse(null), r.pidStart().orElse(null),
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

    public List<Registration> list(DSLContext tx) {
        return tx.selectFrom(CONTAINER).orderBy(CONTAINER.NAME).fetch(r -> new Registration(
                ContainerName.parse(r.getName()), r.getRuntime(), Optional.ofNullable(r.getPid()),
                Optional.ofNullable(r.getPidStart()), Optional.ofNullable(r.getPidFile())));
    }

    public Optional<Registration> find(DSLContext tx, ContainerName name) {
        return list(tx).stream().filter(r -> r.name().equals(name)).findFirst();
    }
}
