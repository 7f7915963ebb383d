package org.phoenixcast.channel;

import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.phoenixcast.model.ContainerName;

/** The open channels of running guests. Thread-safe: the worker adds and removes, the watcher reads. */
public final class GuestChannels {
    private final ConcurrentHashMap<ContainerName, GuestChannel> open = new ConcurrentHashMap<>();

    public void put(GuestChannel channel) {
        GuestChannel previous = open.put(channel.name(), channel);
        if (previous != null && previous != channel) previous.close();
    }

    public Optional<GuestChannel> get(ContainerName name) {
        return Optional.ofNullable(open.get(name));
    }

    public void close(ContainerName name) {
        GuestChannel c = open.remove(name);
        if (c != null) c.close();
    }

    public Collection<GuestChannel> all() {
        return open.values();
    }

    public void closeAll() {
        open.keySet().forEach(this::close);
    }
}
