package org.phoenixcast.model;

/**
 * A receiver's consent to mount {@code source}. {@code survivesBlockAll} marks a share that was
 * mounted when the receiver blocked everything ("castblock" blocks every mount not already in place).
 */
public record Acceptance(ContainerName receiver, SourceRef source, boolean survivesBlockAll) {}
