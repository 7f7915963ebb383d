package org.phoenixcast.protocol;

import java.util.Optional;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.SourceRef;
import org.phoenixcast.model.Verb;

/** One guest request line, parsed and validated. Paths here are still guest-chosen (unsafe for I/O). */
public sealed interface Command {

    Verb verb();

    /** {@code cast [--ro] DIR [CT[:TARGET]]}: offer DIR to CT at TARGET, or publish it to all. */
    record Cast(GuestPath dir, Optional<ContainerName> receiver, Optional<GuestPath> target, Access access)
            implements Command {
        public Verb verb() { return Verb.CAST; }
    }

    /** {@code ucast DIR [CT]}: withdraw the offer to CT, or every offer and publication of DIR. */
    record Ucast(GuestPath dir, Optional<ContainerName> receiver) implements Command {
        public Verb verb() { return Verb.UCAST; }
    }

    /** {@code caston [SRC:PATH]}: accept one source, or everything offered now. */
    record Caston(Optional<SourceRef> source) implements Command {
        public Verb verb() { return Verb.CASTON; }
    }

    /** {@code castoff [PATH | SRC:PATH]}: unmount and drop acceptances, all or one. */
    record Castoff(Selector selector) implements Command {
        public Verb verb() { return Verb.CASTOFF; }
    }

    /** {@code castblock [-u] [PATH]}: block (or lift the block of) everything new, or PATH. */
    record Castblock(boolean lift, Optional<GuestPath> path) implements Command {
        public Verb verb() { return Verb.CASTBLOCK; }
    }

    /** {@code showcast [-a]}: active mounts, or every share I can see. */
    record Showcast(boolean all) implements Command {
        public Verb verb() { return Verb.SHOWCAST; }
    }

    /** What castoff applies to. */
    sealed interface Selector {
        record Everything() implements Selector {}
        record ByTarget(GuestPath target) implements Selector {}
        record BySource(SourceRef source) implements Selector {}
    }
}
