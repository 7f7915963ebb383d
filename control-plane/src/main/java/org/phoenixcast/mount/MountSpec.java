package org.phoenixcast.mount;

import org.phoenixcast.model.Access;
import org.phoenixcast.model.GuestPath;

/**
 * One mount to place in a receiver at {@code unsafeTarget} (a path the guest chose).
 * Every injected mount is nosuid,nodev; {@code noExec} adds noexec (used for drop directories).
 */
public record MountSpec(MountSource source, GuestPath unsafeTarget, Access access, boolean noExec) {}
