package org.phoenixcast.discovery;

import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;

/**
 * Logs each distinct warning of one runtime once, as {@code runtime=X message}, so an odd entry
 * that every listing or event repeats costs one line. At most {@link #MAX_REMEMBERED} messages
 * are remembered: a stream of distinct odd entries (their text comes from the runtime and may
 * quote a container's labels) cannot grow it without bound; then all are forgotten and may be
 * logged again. Thread-safe: the listing and the event thread both warn.
 */
public final class DistinctWarnings {
    static final int MAX_REMEMBERED = 1000;

    private final Logger log;
    private final String runtime;
    private final Set<String> warned = new HashSet<>();

    /** @param log the adapter's logger, so the lines keep its name */
    public DistinctWarnings(Logger log, String runtime) {
        this.log = Objects.requireNonNull(log);
        this.runtime = Objects.requireNonNull(runtime);
    }

    public void warn(String message) {
        synchronized (warned) {
            if (warned.size() >= MAX_REMEMBERED) warned.clear();
            if (!warned.add(message)) return;
        }
        log.warn("runtime={} {}", runtime, message);
    }
}
