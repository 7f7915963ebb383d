package org.phoenixcast.reconcile;

import org.phoenixcast.model.Access;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.SourceRef;

/** Something the reconciler did, or failed to do, in a receiver. */
public record MountEvent(Kind kind, ContainerName receiver, SourceRef source, GuestPath target, Access access,
                         String reason) {
    public enum Kind { MOUNTED, UNMOUNTED, FAILED }

    /** One line for the guest's reply and the log. */
    public String describe() {
        return switch (kind) {
            case MOUNTED -> "mounted " + source + " at " + target + " (" + access.label() + ") in " + receiver;
            case UNMOUNTED -> "unmounted " + source + " from " + target + " in " + receiver;
            case FAILED -> "could not mount " + source + " at " + target + " in " + receiver + ": " + reason;
        };
    }

    public boolean concerns(ContainerName container) {
        return receiver.equals(container) || source.owner().name().equals(container.value());
    }
}
