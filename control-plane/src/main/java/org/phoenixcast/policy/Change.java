package org.phoenixcast.policy;

import java.util.Optional;
import org.phoenixcast.model.Acceptance;
import org.phoenixcast.model.Block;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.Owner;
import org.phoenixcast.model.Share;
import org.phoenixcast.model.SourceRef;

/** One change to the desired sharing state, applied by the store inside the request's transaction. */
public sealed interface Change {
    /** Insert or replace the share of (owner, source, receiver). */
    record PutShare(Share share) implements Change {}

    /** Remove the owner's shares of source: to one receiver ("*" publication included if empty). */
    record RemoveShares(Owner owner, GuestPath source, Optional<ContainerName> receiver) implements Change {}

    /** Insert or replace an acceptance. */
    record PutAcceptance(Acceptance acceptance) implements Change {}

    record RemoveAcceptance(ContainerName receiver, SourceRef source) implements Change {}

    record PutBlock(Block block) implements Change {}

    record RemoveBlock(Block block) implements Change {}
}
