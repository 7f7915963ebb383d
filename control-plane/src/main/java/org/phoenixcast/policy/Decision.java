package org.phoenixcast.policy;

import java.util.List;

/** What the policy decided for one request line. */
public sealed interface Decision {

    /** Accepted: apply {@code changes} atomically, then tell the guest {@code messages}. */
    record Apply(List<Change> changes, List<String> messages) implements Decision {
        public Apply {
            changes = List.copyOf(changes);
            messages = List.copyOf(messages);
        }
    }

    /** Refused: nothing changes; {@code reason} is the one-line reply. */
    record Refuse(String reason) implements Decision {}

    /** A query: nothing changes; {@code lines} are the output. */
    record Show(List<String> lines) implements Decision {
        public Show {
            lines = List.copyOf(lines);
        }
    }
}
