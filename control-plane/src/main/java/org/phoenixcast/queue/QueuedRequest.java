package org.phoenixcast.queue;

import org.phoenixcast.model.ContainerName;

/** A request file's content as committed to the queue; {@code body} is untrusted guest text. */
public record QueuedRequest(long id, ContainerName container, String fileName, String untrustedBody, String state,
                            String reply) {}
