package org.phoenixcast.mount;

import java.nio.file.Path;
import org.phoenixcast.model.GuestPath;

/** Where an injected mount comes from. */
public sealed interface MountSource permits MountSource.HostPath, MountSource.GuestFolder {

    /** A host folder the admin named (trusted path, resolved in the host's mount namespace). */
    record HostPath(Path path) implements MountSource {}

    /** A folder inside a running container, resolved with openat2 RESOLVE_IN_ROOT from its root fd. */
    record GuestFolder(ContainerHandle owner, GuestPath unsafePath) implements MountSource {}
}
