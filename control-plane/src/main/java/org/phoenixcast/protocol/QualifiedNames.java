package org.phoenixcast.protocol;

import java.util.function.UnaryOperator;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.Owner;
import org.phoenixcast.model.SourceRef;

/**
 * Rewrites the container names a guest wrote in a command to castd's names for them: a
 * qualified {@code lxc:web} becomes {@code web} when that is the name castd bound to LXC's
 * "web" (see {@code ContainerStore#bind}). Names castd does not know stay as written (an offer
 * may precede the container's first start).
 */
public final class QualifiedNames {
    private QualifiedNames() {}

    public static Command resolve(Command command, UnaryOperator<ContainerName> resolve) {
        if (command instanceof Command.Cast c) {
            return new Command.Cast(c.dir(), c.receiver().map(resolve), c.target(), c.access());
        }
        if (command instanceof Command.Ucast u) return new Command.Ucast(u.dir(), u.receiver().map(resolve));
        if (command instanceof Command.Caston c) return new Command.Caston(c.source().map(s -> source(s, resolve)));
        if (command instanceof Command.Castoff c && c.selector() instanceof Command.Selector.BySource b) {
            return new Command.Castoff(new Command.Selector.BySource(source(b.source(), resolve)));
        }
        return command; // castblock, showcast and castoff by target name no container
    }

    private static SourceRef source(SourceRef s, UnaryOperator<ContainerName> resolve) {
        if (s.owner() instanceof Owner.Guest g) return new SourceRef(new Owner.Guest(resolve.apply(g.container())), s.path());
        return s;
    }
}
