package org.phoenixcast.model;

/** A share castd mounted in a receiver, as last verified in the receiver's mountinfo. */
public record PlacedMount(ContainerName receiver, GuestPath target, SourceRef source, Access access,
                          long mountId, int receiverPid) {}
