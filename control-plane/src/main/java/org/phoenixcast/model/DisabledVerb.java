package org.phoenixcast.model;

/** A verb the admin disabled for a container. */
public record DisabledVerb(ContainerName container, Verb verb) {}
