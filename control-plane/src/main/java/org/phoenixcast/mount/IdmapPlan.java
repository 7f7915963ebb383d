package org.phoenixcast.mount;

/**
 * How a share's clone must be idmapped so that the receiver sees the owners the owner sees.
 *
 * <p>The rule: a file the owner sees as uid n shows as uid n in the receiver (gids alike). Maps
 * below take an id to a host id. An inode's id as an idmapped mount reads it is its id relative
 * to its file system's user namespace F (the host's for disk file systems, the owner's for a
 * tmpfs the owner mounted itself): call it the on-disk id d. With the owner's map S, the
 * receiver's map R, and the source mount's own idmapping I when the owner's folder is itself an
 * idmapped mount (the root of {@code systemd-nspawn -U}), the owner sees d as S⁻¹(I(d)), or
 * S⁻¹(F(d)) without I. Through a mount idmapped with M the receiver sees R⁻¹(M(d)). So
 * M = (I or F), then S⁻¹, then R. Ids the owner cannot see, or the receiver cannot represent,
 * stay unmapped and show as the overflow id (nobody), unwritable for the receiver.
 *
 * <p>Pure logic; {@link Injector} applies the plan.
 */
sealed interface IdmapPlan permits IdmapPlan.Unchanged, IdmapPlan.ReceiverNamespace, IdmapPlan.Created,
        IdmapPlan.Refused {

    /** The clone already shows the right owners (no idmap, or the source's own idmap is right). */
    record Unchanged() implements IdmapPlan {}

    /** Idmap with the receiver's own user namespace (M equals R: the owner's view is the host's). */
    record ReceiverNamespace() implements IdmapPlan {}

    /** Idmap with a user namespace castd creates with exactly {@code mapping}. */
    record Created(UserNamespace mapping) implements IdmapPlan {}

    /** No idmap can honour the rule; {@code reason} completes "cannot map owners: ". */
    record Refused(String reason) implements IdmapPlan {}

    /**
     * True when the plan cannot be {@link Unchanged} without looking at the source mount: the
     * owner and the receiver map ids differently. When false, castd does no idmap work at all
     * (whatever idmap the source mount has, the clone keeps it, and both sides see it alike).
     */
    static boolean needed(UserNamespace owner, UserNamespace receiver) {
        return !owner.equals(receiver);
    }

    /**
     * The mount idmapping M for the rule above (on-disk ids to the receiver's host ids).
     *
     * @param fileSystem F, the user namespace the source's file system belongs to
     * @param sourceMount I, the idmapping of the source mount when it is idmapped, else null
     */
    static UserNamespace mapping(UserNamespace owner, UserNamespace fileSystem, UserNamespace sourceMount,
                                 UserNamespace receiver) {
        UserNamespace onDisk = sourceMount != null ? sourceMount : fileSystem;
        return new UserNamespace(onDisk.uids().andThen(owner.uids().inverse()).andThen(receiver.uids()),
                onDisk.gids().andThen(owner.gids().inverse()).andThen(receiver.gids()));
    }

    /**
     * @param owner S, the owner's user namespace ({@link UserNamespace#INITIAL} for the host)
     * @param fileSystem F, the user namespace the source's file system belongs to: INITIAL, or
     *     {@code owner} for a file system the owner mounted itself
     * @param sourceMount I, the idmapping of the source mount when it is idmapped, else null
     * @param receiver R, the receiver's user namespace
     */
    static IdmapPlan of(UserNamespace owner, UserNamespace fileSystem, UserNamespace sourceMount,
                        UserNamespace receiver) {
        if (sourceMount == null && !needed(owner, receiver)) return new Unchanged();
        UserNamespace m = mapping(owner, fileSystem, sourceMount, receiver);
        if (m.uids().isEmpty() || m.gids().isEmpty()) {
            return new Refused("no " + (m.uids().isEmpty() ? "uid" : "gid")
                    + " the owner uses is mapped in the receiving container");
        }
        if (!m.uids().fitsAMapFile() || !m.gids().fitsAMapFile()) {
            return new Refused("the id mapping has too many ranges for the kernel");
        }
        // without an idmap the receiver reads on-disk ids through I (the clone keeps it) or F
        if (m.equals(sourceMount != null ? sourceMount : fileSystem)) return new Unchanged();
        if (!receiver.isInitial() && m.equals(receiver)) return new ReceiverNamespace();
        return new Created(m);
    }
}
