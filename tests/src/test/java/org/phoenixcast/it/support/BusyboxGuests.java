package org.phoenixcast.it.support;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A test's castd with busybox {@link UnshareContainer}s registered as its guests, closed as one:
 * {@link #close()} stops collecting replies, then closes castd, then (even if that failed) the
 * containers. The fixture takes over a started castd, which the test may still stop, kill and
 * restart ({@link CastdProcess#restart()} keeps the same object, so the guests stay valid).
 */
public final class BusyboxGuests implements AutoCloseable {
    private final CastdProcess castd;
    private final List<UnshareContainer> containers = new ArrayList<>();
    private final Map<String, DropGuest> guests = new LinkedHashMap<>();
    private final List<ReplyCollector> collectors = new ArrayList<>();
    private boolean closed;

    private BusyboxGuests(CastdProcess castd) {
        this.castd = castd;
    }

    /** Takes over {@code castd} (closed by {@link #close()}) with no guests yet; see {@link #add}. */
    public static BusyboxGuests takeOver(CastdProcess castd) {
        return new BusyboxGuests(castd);
    }

    /** Takes over {@code castd} and {@link #add adds} a busybox guest per name, in order. */
    public static BusyboxGuests start(CastdProcess castd, List<String> names) throws IOException {
        return takeOver(castd).add(names);
    }

    public static BusyboxGuests start(CastdProcess castd, String... names) throws IOException {
        return start(castd, List.of(names));
    }

    /**
     * Starts a busybox container per name (its hostname is the name), registers it with castd
     * under that name ({@link DropGuest#registered}: waits until castd attached its /.syscmd).
     * If one of them fails, everything is closed (castd too) before the failure is rethrown.
     */
    public BusyboxGuests add(List<String> names) throws IOException {
        try {
            for (String name : names) {
                if (guests.containsKey(name)) throw new IllegalArgumentException("guest " + name + " twice");
                UnshareContainer c = UnshareContainer.start(UnshareContainer.Rootfs.BUSYBOX, name);
                containers.add(c);
                guests.put(name, DropGuest.registered(castd, name, c));
            }
            return this;
        } catch (IOException | RuntimeException | Error e) {
            try {
                close();
            } catch (IOException | RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    public CastdProcess castd() {
        return castd;
    }

    /** The guest named NAME. */
    public DropGuest guest(String name) {
        DropGuest g = guests.get(name);
        if (g == null) throw new IllegalArgumentException("no guest " + name + " (guests: " + guests.keySet() + ")");
        return g;
    }

    /** All guests, in the order they were added. */
    public List<DropGuest> guests() {
        return List.copyOf(guests.values());
    }

    /** Name → guest, in the order they were added (unmodifiable). */
    public Map<String, DropGuest> byName() {
        return Collections.unmodifiableMap(guests);
    }

    /**
     * Starts collecting the replies of {@code of} every {@code every} ({@link ReplyCollector});
     * the test may close it earlier, {@link #close()} closes it anyway.
     */
    public ReplyCollector collectReplies(Collection<DropGuest> of, Duration every) {
        ReplyCollector c = ReplyCollector.start(of, every);
        collectors.add(c);
        return c;
    }

    /** Reply collectors, then castd, then every container (each even if an earlier step failed). Idempotent. */
    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        collectors.forEach(ReplyCollector::close);
        try {
            castd.close();
        } finally {
            RuntimeException failed = null;
            for (UnshareContainer c : containers) {
                try {
                    c.close();
                } catch (RuntimeException e) {
                    if (failed == null) failed = e; else failed.addSuppressed(e);
                }
            }
            if (failed != null) throw failed;
        }
    }
}
