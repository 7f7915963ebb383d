package org.phoenixcast.admin;

import java.nio.file.Path;
import java.util.Set;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.mount.MountFacade;
import org.phoenixcast.policy.SharingPolicy;
import org.phoenixcast.queue.RequestQueue;
import org.phoenixcast.store.ContainerStore;
import org.phoenixcast.store.Database;
import org.phoenixcast.store.HistoryStore;
import org.phoenixcast.store.SharingStore;

/**
 * What admin commands may use inside castd. Admin commands change the database and poke the
 * worker; they never mount anything themselves (all mounting happens on the worker thread).
 */
public interface ControlPlane {
    Database db();

    ContainerStore containers();

    SharingStore sharing();

    HistoryStore history();

    RequestQueue queue();

    SharingPolicy policy();

    MountFacade kernel();

    Path stateDir();

    /** A snapshot of the containers running at the worker's last turn. Thread-safe. */
    Set<ContainerName> running();

    /** Asks the worker to look again now, registrations included. */
    void poke();

    /** Verb enablement changed: reinstall /syscmd commands. */
    void commandsChanged();
}
