package org.phoenixcast.linux;

/**
 * What statmount(2) tells about a mount's idmapping. The maps are the kernel's text, one
 * "inside outside count" line per range, with outside ids as seen from the host's user
 * namespace; they are parsed on a host thread, not here.
 */
public record MountIdmap(State state, String uidMap, String gidMap) {
    public enum State {
        /** Not an idmapped mount. */
        PLAIN,
        /** Idmapped; {@code uidMap} and {@code gidMap} hold the mapping. */
        IDMAPPED,
        /** Idmapped, but this kernel's statmount cannot report the mapping (before Linux 6.15). */
        IDMAPPED_MAP_UNKNOWN,
        /** This kernel has no statmount (before Linux 6.8): whether it is idmapped is unknown. */
        UNKNOWN
    }

    static final MountIdmap PLAIN = new MountIdmap(State.PLAIN, null, null);
    static final MountIdmap UNKNOWN = new MountIdmap(State.UNKNOWN, null, null);
    static final MountIdmap MAP_UNKNOWN = new MountIdmap(State.IDMAPPED_MAP_UNKNOWN, null, null);
}
