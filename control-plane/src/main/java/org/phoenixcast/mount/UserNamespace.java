package org.phoenixcast.mount;

/**
 * The id mappings of a user namespace as host root reads them (/proc/PID/uid_map and gid_map):
 * ids inside the namespace to host ids. {@link #INITIAL} is the host's own (and that of every
 * container without a user namespace of its own). Also used for the idmapping of an idmapped
 * mount, where "inside" are the ids stored on disk.
 */
public record UserNamespace(IdMap uids, IdMap gids) {
    public static final UserNamespace INITIAL = new UserNamespace(IdMap.IDENTITY, IdMap.IDENTITY);

    public UserNamespace {
        if (uids == null || gids == null) throw new IllegalArgumentException("uids and gids are required");
    }

    /** True when every uid and gid maps to itself: the host, or a privileged container. */
    public boolean isInitial() {
        return uids.isIdentity() && gids.isIdentity();
    }

    @Override
    public String toString() {
        return isInitial() ? "initial" : "uids " + uids + " gids " + gids;
    }
}
