package org.phoenixcast.model;

import java.util.Optional;

/**
 * An offer (to one receiver) or a publication (receiver empty: every container) of the
 * owner's folder {@code source}, to be mounted at {@code target} in the receiver.
 */
public record Share(Owner owner, GuestPath source, Optional<ContainerName> receiver, GuestPath target, Access access) {

    public SourceRef sourceRef() {
        return new SourceRef(owner, source);
    }

    public boolean isPublication() {
        return receiver.isEmpty();
    }

    /** True when this share is meant for {@code container} (and is not the container's own folder). */
    public boolean isVisibleTo(ContainerName container) {
        boolean own = owner instanceof Owner.Guest g && g.container().equals(container);
        return !own && receiver.map(container::equals).orElse(true);
    }

    /** "web2" or "every container", for messages. */
    public String receiverLabel() {
        return receiver.map(ContainerName::value).orElse("every container");
    }
}
