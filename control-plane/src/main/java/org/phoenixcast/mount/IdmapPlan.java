package org.phoenixcast.mount;

/**
 * How a share's clone must be idmapped so that the receiver sees the owners the owner sees.
 *
 * <p>The rule: a file the owner sees as uid n shows as uid n in the receiver (gids alike). With
 * the owner's map S (its user namespace: owner id to host id), the receiver's map R, and the
 * source mount's own idmapping I when the owner's folder is itself an idmapped mount (on-disk id
 * to host id; for example the root of {@code systemd-nspawn -U}), the owner sees on-disk id k as
 * S⁻¹(I(k)) (or S⁻¹(k) without I). Through a mount idmapped with M the receiver sees R⁻¹(M(k)).
 * So M = I, then S⁻¹, then R: on-disk id k maps to the host id that the receiver's processes
 * have for the owner's view of k. Ids the owner cannot see, or the receiver cannot represent,
 * stay unmapped and show as the overflow id (nobody), read-only for the receiver.
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

    /** The mount idmapping M for the rule above (on-disk ids to the receiver's host ids). */
    static UserNamespace mapping(UserNamespace owner, UserNamespace sourceMount, UserNamespace receiver) {
        return new UserNamespace(compose(owner.uids(), sourceMount == null ? null : sourceMount.uids(), receiver.uids()),
                compose(owner.gids(), sourceMount == null ? null : sourceMount.gids(), receiver.gids()));
    }

    private static IdMap compose(IdMap owner, IdMap sourceMount, IdMap receiver) {
        IdMap ownerView = sourceMount == null ? owner.inverse() : sourceMount.andThen(owner.inverse());
        return ownerView.andThen(receiver);
    }

    /**
     * @param owner the owner's user namespace ({@link UserNamespace#INITIAL} for the host)
     * @param sourceMount the idmapping of the source mount when it is idmapped, else null
     * @param receiver the receiver's user namespace
     */
    static IdmapPlan of(UserNamespace owner, UserNamespace sourceMount, UserNamespace receiver) {
        if (sourceMount == null && !needed(owner, receiver)) return new Unchanged();
        UserNamespace m = mapping(owner, sourceMount, receiver);
        if (m.uids().isEmpty() || m.gids().isEmpty()) {
            return new Refused("no " + (m.uids().isEmpty() ? "uid" : "gid")
                    + " the owner uses is mapped in the receiving container");
        }
        if (m.uids().ranges().size() > IdMap.MAX_RANGES || m.gids().ranges().size() > IdMap.MAX_RANGES) {
            return new Refused("the id mapping would need more than " + IdMap.MAX_RANGES + " ranges");
        }
        if (sourceMount == null ? m.isInitial() : m.equals(sourceMount)) return new Unchanged();
        if (!receiver.isInitial() && m.equals(receiver)) return new ReceiverNamespace();
        return new Created(m);
    }
}
