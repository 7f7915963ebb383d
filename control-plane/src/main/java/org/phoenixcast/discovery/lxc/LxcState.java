package org.phoenixcast.discovery.lxc;

import java.util.Optional;

/** A container state as LXC names it (lxc-info -s, lxc-monitor); lxc/src/lxc/state.c. */
enum LxcState {
    STOPPED, STARTING, RUNNING, STOPPING, ABORTING, FREEZING, FROZEN, THAWED;

    /**
     * True when the container's init has been started and not yet reaped: RUNNING and the freezer
     * states (a frozen init still exists and can take mounts). STARTING is left out (LXC reports
     * RUNNING once init runs), STOPPING and ABORTING too (the container is going away; its init
     * may already be dead).
     */
    boolean initRuns() {
        return this == RUNNING || this == FREEZING || this == FROZEN || this == THAWED;
    }

    static Optional<LxcState> parse(String text) {
        for (LxcState s : values()) {
            if (s.name().equals(text)) return Optional.of(s);
        }
        return Optional.empty();
    }
}
