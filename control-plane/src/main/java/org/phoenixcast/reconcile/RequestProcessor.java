package org.phoenixcast.reconcile;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.phoenixcast.channel.GuestChannel;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.SharingState;
import org.phoenixcast.model.SourceRef;
import org.phoenixcast.model.Verb;
import org.phoenixcast.policy.Change;
import org.phoenixcast.policy.Decision;
import org.phoenixcast.policy.SharingPolicy;
import org.phoenixcast.protocol.Command;
import org.phoenixcast.protocol.CommandParser;
import org.phoenixcast.protocol.QualifiedNames;
import org.phoenixcast.store.ContainerStore;
import org.phoenixcast.protocol.Reply;
import org.phoenixcast.protocol.RequestBody;
import org.phoenixcast.protocol.RequestName;
import org.phoenixcast.queue.QueuedRequest;
import org.phoenixcast.queue.RequestQueue;
import org.phoenixcast.store.Database;
import org.phoenixcast.store.HistoryStore;
import org.phoenixcast.store.SharingStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Takes one queued request from decision to reply: parse, check the verb is enabled, decide
 * by the consent policy, commit the state changes together with the history rows and the
 * DECIDED mark, reconcile mounts, write the reply, mark REPLIED. This is the one boundary that
 * catches every exception and turns it into an error reply and a history row.
 */
public final class RequestProcessor {
    private static final Logger log = LoggerFactory.getLogger(RequestProcessor.class);

    private final Database db;
    private final SharingStore sharing;
    private final HistoryStore history;
    private final RequestQueue queue;
    private final SharingPolicy policy;
    private final Reconciler reconciler;
    private final int maxLines;

    private final ContainerStore containers;

    public RequestProcessor(Database db, SharingStore sharing, HistoryStore history, RequestQueue queue,
                            SharingPolicy policy, Reconciler reconciler, ContainerStore containers, int maxLines) {
        this.db = db;
        this.containers = containers;
        this.sharing = sharing;
        this.history = history;
        this.queue = queue;
        this.policy = policy;
        this.reconciler = reconciler;
        this.maxLines = maxLines;
    }

    /** The outcome of one request line before mounts are reconciled. */
    private record LineResult(String untrustedLine, Reply reply, Set<SourceRef> accepted) {}

    /**
     * Processes a QUEUED request; {@code channel} is empty when the requester is not running (reply is kept).
     *
     * <p>Deciding and reconciling are guarded: any exception there becomes an "internal error"
     * reply and a history row. Delivering is not: once the guest has its reply, a failure to mark
     * the request REPLIED must not overwrite that reply with an error (the request was applied).
     * Such a failure propagates to the worker, which redelivers the DECIDED reply later.
     */
    public void process(QueuedRequest request, Optional<GuestChannel> channel) {
        MDC.put("container", request.container().value());
        try {
            deliver(request, decideAndApply(request), channel);
        } finally {
            MDC.remove("container");
        }
    }

    private String decideAndApply(QueuedRequest request) {
        try {
            List<LineResult> results = decide(request);
            boolean changed = results.stream().anyMatch(r -> r.reply().ok() && r.accepted() != null);
            List<MountEvent> events = changed ? reconciler.reconcileAll() : List.of();
            return render(request.container(), results, events);
        } catch (RuntimeException e) {
            log.error("container={} request {} failed", request.container(), request.fileName(), e);
            String reply = Reply.error("internal error in castd (request " + request.id() + "); see castd's log").render();
            db.transaction(tx -> {
                history.record(tx.dsl(), request.container().value(), "request", request.fileName(), "failed",
                        String.valueOf(e), request.id());
                queue.markDecided(tx.dsl(), request.id(), reply);
                return null;
            });
            return reply;
        }
    }

    /**
     * The reply to a request that changes nothing (showcast), decided from a read-only
     * transaction, with no queue row and no history row; empty for any request that would
     * change state (or whose verb is disabled). What castd still answers while its state disk
     * is full ({@link org.phoenixcast.store.StateDisk}). Same policy as {@link #process}.
     */
    public Optional<String> answerWithoutWriting(ContainerName requester, String verbWord, String untrustedBody) {
        Optional<Verb> verb = Verb.ofWord(verbWord);
        if (verb.isEmpty() || verb.get() != Verb.SHOWCAST) return Optional.empty();
        return db.transaction(tx -> {
            SharingState state = sharing.read(tx.dsl());
            if (!state.isEnabled(requester, verb.get())) return Optional.<String>empty();
            List<String> lines;
            try {
                lines = RequestBody.lines(untrustedBody, maxLines);
            } catch (IllegalArgumentException e) {
                return Optional.<String>empty();
            }
            StringBuilder out = new StringBuilder();
            for (String line : lines) {
                Command command;
                try {
                    command = QualifiedNames.resolve(CommandParser.parse(verb.get(), line), n -> containers.resolve(tx.dsl(), n));
                } catch (IllegalArgumentException e) {
                    out.append(Reply.error(e.getMessage()).render());
                    continue;
                }
                Decision decision = policy.decide(requester, command, state);
                if (decision instanceof Decision.Show s) out.append(Reply.ok(s.lines()).render());
                else if (decision instanceof Decision.Refuse r) out.append(Reply.error(r.reason()).render());
                else return Optional.<String>empty();
            }
            return Optional.of(out.toString());
        });
    }

    /** Writes the reply of a DECIDED request and marks it REPLIED (also used after a restart). */
    public void deliver(QueuedRequest request, String reply, Optional<GuestChannel> channel) {
        if (channel.isEmpty()) return;
        try {
            channel.get().writeReply(RequestName.parse(request.fileName()).replyName(), reply);
        } catch (LinuxException e) {
            log.warn("container={} cannot write reply {}: {}", request.container(), request.fileName(), e.getMessage());
        }
        db.transaction(tx -> {
            queue.markReplied(tx.dsl(), request.id(), reply);
            return null;
        });
    }

    private List<LineResult> decide(QueuedRequest request) {
        ContainerName requester = request.container();
        return db.transaction(tx -> {
            List<LineResult> results = new ArrayList<>();
            String verbWord = RequestName.parse(request.fileName()).word();
            Optional<Verb> verb = Verb.ofWord(verbWord);
            SharingState state = sharing.read(tx.dsl());
            List<String> lines;
            try {
                lines = RequestBody.lines(request.untrustedBody(), maxLines);
            } catch (IllegalArgumentException e) {
                lines = List.of();
                results.add(refuse(tx.dsl(), request, verbWord, "", e.getMessage()));
            }
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                boolean more = i + 1 < lines.size();
                if (verb.isEmpty()) {
                    results.add(refuse(tx.dsl(), request, verbWord, line, "unknown command '" + verbWord
                            + "': use caston, castoff, castblock, showcast, cast or ucast"));
                } else if (!state.isEnabled(requester, verb.get())) {
                    results.add(refuse(tx.dsl(), request, verbWord, line, verbWord + " is disabled for this container"));
                } else {
                    results.add(decideLine(tx.dsl(), request, verb.get(), line, state));
                    if (more) state = sharing.read(tx.dsl()); // the next line sees this one's changes
                }
            }
            String provisional = String.join("", results.stream().map(r -> r.reply().render()).toList());
            queue.markDecided(tx.dsl(), request.id(), provisional);
            return results;
        });
    }

    private LineResult decideLine(org.jooq.DSLContext tx, QueuedRequest request, Verb verb, String line,
                                  SharingState state) {
        Command command;
        try {
            command = QualifiedNames.resolve(CommandParser.parse(verb, line), n -> containers.resolve(tx, n));
        } catch (IllegalArgumentException e) {
            return refuse(tx, request, verb.word(), line, e.getMessage());
        }
        Decision decision = policy.decide(request.container(), command, state);
        if (decision instanceof Decision.Refuse r) return refuse(tx, request, verb.word(), line, r.reason());
        if (decision instanceof Decision.Show s) return new LineResult(line, Reply.ok(s.lines()), null);
        Decision.Apply apply = (Decision.Apply) decision;
        sharing.apply(tx, apply.changes());
        history.record(tx, request.container().value(), verb.word(), line, "ok", String.join("; ", apply.messages()),
                request.id());
        Set<SourceRef> accepted = new HashSet<>();
        for (Change c : apply.changes()) {
            if (c instanceof Change.PutAcceptance p) accepted.add(p.acceptance().source());
        }
        // "caston SRC" of a share already accepted still reports whether its mount works now.
        if (command instanceof Command.Caston c && c.source().isPresent()) accepted.add(c.source().get());
        log.info("container={} {} {}: {}", request.container(), verb.word(), line, String.join("; ", apply.messages()));
        return new LineResult(line, Reply.ok(apply.messages()), accepted);
    }

    private LineResult refuse(org.jooq.DSLContext tx, QueuedRequest request, String verb, String line, String reason) {
        history.record(tx, request.container().value(), verb, line, "refused", reason, request.id());
        log.info("container={} refused {} {}: {}", request.container(), verb, line, reason);
        return new LineResult(line, Reply.error(reason), null);
    }

    /**
     * Final reply: a line that accepted a share the mount layer then refused becomes an error
     * (e.g. a symlinked target); mount events concerning the requester are appended to the
     * last ok block so the guest sees what actually happened.
     */
    private static String render(ContainerName requester, List<LineResult> results, List<MountEvent> events) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < results.size(); i++) {
            LineResult r = results.get(i);
            Reply reply = r.reply();
            if (reply.ok() && r.accepted() != null) {
                Optional<MountEvent> failed = events.stream().filter(e -> e.kind() == MountEvent.Kind.FAILED
                        && e.receiver().equals(requester) && r.accepted().contains(e.source())).findFirst();
                if (failed.isPresent()) {
                    reply = Reply.error("could not mount " + failed.get().source() + " at " + failed.get().target()
                            + ": " + failed.get().reason());
                } else if (i == results.size() - 1) {
                    List<String> output = new ArrayList<>(reply.output());
                    events.stream().filter(e -> e.concerns(requester)).map(MountEvent::describe).forEach(output::add);
                    reply = Reply.ok(output);
                }
            }
            out.append(reply.render());
        }
        return out.toString();
    }
}
