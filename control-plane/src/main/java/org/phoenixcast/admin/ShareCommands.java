package org.phoenixcast.admin;

import java.util.Optional;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.Owner;
import org.phoenixcast.model.Share;
import org.phoenixcast.policy.Change;
import org.phoenixcast.policy.Decision;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code castctl publish} and {@code castctl unpublish}: the host's own shares. */
final class ShareCommands {
    private ShareCommands() {}

    @Command(name = "publish", description = "Publish a host folder to every container, or offer it to one.")
    static final class Publish extends AdminCommand {
        @Parameters(paramLabel = "PATH", description = "Absolute host path of a folder.") String path;
        @Option(names = "--ro", description = "Read-only, enforced by the kernel.") boolean readOnly;
        @Option(names = "--to", paramLabel = "CT[:TARGET]", description = "Offer to one container (default: publish to all).") String to;

        Publish(AdminCommands.Context c) { super(c); }

        @Override
        public Integer call() {
            GuestPath source = GuestPath.parse(path);
            Optional<ContainerName> receiver = Optional.empty();
            GuestPath target = source;
            if (to != null) {
                int colon = to.indexOf(":/"); // CT may be qualified (docker:web)
                receiver = Optional.of(resolveName(colon < 0 ? to : to.substring(0, colon)));
                if (colon >= 0) target = GuestPath.parse(to.substring(colon + 1));
            }
            Share share = new Share(Owner.HOST, source, receiver, target, readOnly ? Access.READ_ONLY : Access.READ_WRITE);
            Decision decision = plane().policy().publish(share);
            if (decision instanceof Decision.Refuse r) return fail(r.reason());
            Decision.Apply apply = (Decision.Apply) decision;
            plane().db().transaction(tx -> {
                plane().sharing().apply(tx.dsl(), apply.changes());
                plane().history().record(tx.dsl(), ContainerName.HOST, "publish", String.join(" ", spec.commandLine().getParseResult().originalArgs()),
                        "ok", String.join("; ", apply.messages()), null);
                return null;
            });
            plane().poke();
            apply.messages().forEach(out()::println);
            return 0;
        }
    }

    @Command(name = "unpublish", description = "Withdraw a host folder's publication and offers.")
    static final class Unpublish extends AdminCommand {
        @Parameters(paramLabel = "PATH") String path;
        @Option(names = "--to", paramLabel = "CT", description = "Withdraw only the offer to this container.") String to;

        Unpublish(AdminCommands.Context c) { super(c); }

        @Override
        public Integer call() {
            GuestPath source = GuestPath.parse(path);
            Optional<ContainerName> receiver = Optional.ofNullable(to).map(this::resolveName);
            boolean existed = plane().db().transaction(tx -> {
                boolean any = plane().sharing().read(tx.dsl()).shares().stream().anyMatch(s -> s.owner().equals(Owner.HOST)
                        && s.source().equals(source) && (receiver.isEmpty() || s.receiver().equals(receiver)));
                plane().sharing().apply(tx.dsl(), java.util.List.of(new Change.RemoveShares(Owner.HOST, source, receiver)));
                if (any) plane().history().record(tx.dsl(), ContainerName.HOST, "unpublish", path, "ok", "", null);
                return any;
            });
            if (!existed) return fail("host:" + source + " is not published" + receiver.map(r -> " to " + r).orElse(""));
            plane().poke();
            out().println("unpublished host:" + source + receiver.map(r -> " from " + r).orElse(""));
            return 0;
        }
    }
}
