package org.phoenixcast.admin;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.phoenixcast.model.SharingState;
import org.phoenixcast.store.HistoryStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code castctl status} and {@code castctl history}. */
final class StatusCommands {
    private StatusCommands() {}

    @Command(name = "status", description = "Containers, active mounts, offers, acceptances, blocks and the queue.")
    static final class Status extends AdminCommand {
        @CommandLine.Mixin JsonOption json;

        Status(AdminCommands.Context c) { super(c); }

        @Override
        public Integer call() {
            var plane = plane();
            SharingState state = plane.db().transaction(tx -> plane.sharing().read(tx.dsl()));
            var containers = plane.db().transaction(tx -> plane.containers().list(tx.dsl()));
            int queued = plane.db().transaction(tx -> plane.queue().countQueued(tx.dsl()));
            var running = plane.running();
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("containers", containers.stream().map(r -> Map.of("name", r.name().value(), "runtime", r.runtime(),
                    "state", running.contains(r.name()) ? "running" : "stopped")).toList());
            doc.put("mounts", state.placed().stream().map(p -> Map.of("receiver", p.receiver().value(),
                    "source", p.source().toString(), "target", p.target().value(), "access", p.access().label())).toList());
            doc.put("shares", state.shares().stream().map(s -> Map.of("source", s.sourceRef().toString(),
                    "to", s.receiverLabel(), "target", s.target().value(), "access", s.access().label())).toList());
            doc.put("acceptances", state.acceptances().stream().map(a -> Map.of("receiver", a.receiver().value(),
                    "source", a.source().toString())).toList());
            doc.put("blocks", state.blocks().stream().map(b -> Map.of("receiver", b.receiver().value(),
                    "path", b.key())).toList());
            doc.put("queued", queued);
            if (json.json) {
                printJson(doc);
                return 0;
            }
            var out = out();
            out.println("CONTAINERS");
            containers.forEach(r -> out.printf("  %-20s %-8s %s%n", r.name(), r.runtime(), running.contains(r.name()) ? "running" : "stopped"));
            out.println("MOUNTS");
            state.placed().forEach(p -> out.printf("  %-20s %s %s %s%n", p.receiver(), p.source(), p.target(), p.access().label()));
            out.println("SHARES");
            state.shares().forEach(s -> out.printf("  %s -> %s at %s %s%n", s.sourceRef(), s.receiverLabel(), s.target(), s.access().label()));
            out.println("ACCEPTANCES");
            state.acceptances().forEach(a -> out.printf("  %-20s %s%n", a.receiver(), a.source()));
            out.println("BLOCKS");
            state.blocks().forEach(b -> out.printf("  %-20s %s%n", b.receiver(), b.isBlockAll() ? "everything new" : b.key()));
            out.println("QUEUE " + queued + " request(s) pending");
            return 0;
        }
    }

    @Command(name = "history", description = "Mounts, unmounts, refusals and request outcomes, oldest first.")
    static final class History extends AdminCommand {
        @CommandLine.Mixin JsonOption json;
        @Option(names = "--container", paramLabel = "NAME", description = "Only this container (or host).") String container;
        @Option(names = "--limit", defaultValue = "50", description = "Newest N entries (default: ${DEFAULT-VALUE}).") int limit;

        History(AdminCommands.Context c) { super(c); }

        @Override
        public Integer call() {
            List<HistoryStore.Entry> entries = plane().db().transaction(tx ->
                    plane().history().latest(tx.dsl(), Optional.ofNullable(container), Math.max(1, Math.min(limit, 100_000))));
            if (json.json) {
                printJson(entries.stream().map(e -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("id", e.id());
                    m.put("at", e.at().toString());
                    m.put("container", e.container());
                    m.put("verb", e.verb());
                    m.put("arguments", e.arguments());
                    m.put("outcome", e.outcome());
                    m.put("reason", e.reason());
                    return m;
                }).toList());
                return 0;
            }
            for (HistoryStore.Entry e : entries) {
                out().printf("%s %-12s %-9s %-9s %s%s%n", e.at().toLocalDateTime().withNano(0), e.container(), e.verb(),
                        e.outcome(), e.arguments(), e.reason().isEmpty() ? "" : " -- " + e.reason());
            }
            return 0;
        }
    }
}
