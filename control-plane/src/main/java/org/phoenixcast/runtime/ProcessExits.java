package org.phoenixcast.runtime;

import java.util.function.BooleanSupplier;

/**
 * Where the registry reports the init processes it follows, so their exit is noticed the
 * moment it happens (castd uses pidfds, see {@code PidfdExitWatch}) rather than at the next resync.
 */
public interface ProcessExits {
    /** Start watching {@code pid}; {@code stillSame} tells whether the registry's pinned handle is alive. */
    void track(int pid, BooleanSupplier stillSame);

    void untrack(int pid);

    /** Exits noticed only at resyncs (tests of pure logic). */
    ProcessExits NONE = new ProcessExits() {
        @Override public void track(int pid, BooleanSupplier stillSame) {}
        @Override public void untrack(int pid) {}
    };
}
