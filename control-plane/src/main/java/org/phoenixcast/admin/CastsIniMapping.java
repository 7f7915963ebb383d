package org.phoenixcast.admin;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.phoenixcast.importer.CastsConfig;
import org.phoenixcast.importer.Offer;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.Acceptance;
import org.phoenixcast.model.Block;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.DisabledVerb;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.Owner;
import org.phoenixcast.model.Share;
import org.phoenixcast.model.SharingState;
import org.phoenixcast.model.SourceRef;
import org.phoenixcast.model.Verb;
import org.phoenixcast.policy.Change;

/** Maps the importer's casts.ini model to the control plane's state and back. Pure. */
final class CastsIniMapping {
    private CastsIniMapping() {}

    /**
     * The changes that, applied to an empty state, give the state the file describes; every
     * container name goes through {@code names} (castd's name for a qualified one).
     */
    static List<Change> toChanges(CastsConfig config, java.util.function.UnaryOperator<ContainerName> names) {
        java.util.function.Function<String, ContainerName> name = text -> names.apply(ContainerName.parse(text));
        java.util.function.Function<String, Owner> owner = text -> {
            Owner o = Owner.parse(text);
            return o instanceof Owner.Guest g ? new Owner.Guest(names.apply(g.container())) : o;
        };
        List<Change> changes = new ArrayList<>();
        for (Offer o : config.offers()) {
            Optional<ContainerName> receiver = o.isPublished() ? Optional.empty() : Optional.of(name.apply(o.receiver()));
            changes.add(new Change.PutShare(new Share(owner.apply(o.owner()), GuestPath.parse(o.sourcePath()), receiver,
                    GuestPath.parse(o.targetPath()), o.readOnly() ? Access.READ_ONLY : Access.READ_WRITE)));
        }
        for (var a : config.acceptances()) {
            changes.add(new Change.PutAcceptance(new Acceptance(name.apply(a.receiver()),
                    new SourceRef(owner.apply(a.owner()), GuestPath.parse(a.sourcePath())), false)));
        }
        for (var b : config.blocks()) {
            changes.add(new Change.PutBlock(new Block(name.apply(b.receiver()),
                    b.isAll() ? Optional.empty() : Optional.of(GuestPath.parse(b.path())))));
        }
        return changes;
    }

    static List<DisabledVerb> disabledVerbs(CastsConfig config, java.util.function.UnaryOperator<ContainerName> names) {
        return config.disabledVerbs().stream()
                .map(d -> new DisabledVerb(names.apply(ContainerName.parse(d.container())), Verb.parse(d.verb()))).toList();
    }

    static CastsConfig fromState(SharingState state, Set<String> containerNames) {
        List<Offer> offers = new ArrayList<>();
        for (Share s : state.shares()) {
            offers.add(new Offer(s.owner().name(), s.source().value(),
                    s.receiver().map(ContainerName::value).orElse(Offer.EVERY_CONTAINER), s.target().value(),
                    s.access() == Access.READ_ONLY));
        }
        List<org.phoenixcast.importer.Acceptance> acceptances = state.acceptances().stream()
                .map(a -> new org.phoenixcast.importer.Acceptance(a.receiver().value(), a.source().owner().name(),
                        a.source().path().value())).toList();
        List<org.phoenixcast.importer.Block> blocks = state.blocks().stream()
                .map(b -> new org.phoenixcast.importer.Block(b.receiver().value(), b.key())).toList();
        List<org.phoenixcast.importer.DisabledVerb> disabled = state.disabledVerbs().stream()
                .map(d -> new org.phoenixcast.importer.DisabledVerb(d.container().value(), d.verb().word())).toList();
        Set<String> containers = new HashSet<>(containerNames);
        return new CastsConfig(offers, acceptances, blocks, disabled, containers);
    }
}
