package org.phoenixcast.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.Owner;
import org.phoenixcast.model.Share;
import org.phoenixcast.policy.Change;

/** castd's names for discovered containers, on a real H2 file: first-seen binding and qualified forms. */
class ContainerBindingTest {
    @TempDir Path dir;
    private Database db;
    private final ContainerStore containers = new ContainerStore(SharingStoreTest.CLOCK);
    private final SharingStore sharing = new SharingStore(SharingStoreTest.CLOCK);

    @BeforeEach
    void open() throws IOException {
        db = Database.open(dir.resolve("db"));
    }

    @AfterEach
    void close() {
        db.close();
    }

    private ContainerName bind(String runtime, String name) {
        return db.transaction(tx -> containers.bind(tx.dsl(), runtime, name));
    }

    private ContainerName resolve(String name) {
        return db.transaction(tx -> containers.resolve(tx.dsl(), ContainerName.parse(name)));
    }

    @Test
    void aFreeNameIsTheRuntimesOwnAndATakenOneIsQualifiedForGood() {
        assertThat(bind("lxc", "web")).isEqualTo(ContainerName.parse("web"));
        assertThat(bind("docker", "web")).isEqualTo(ContainerName.parse("docker:web"));
        assertThat(bind("lxc", "web")).as("stable").isEqualTo(ContainerName.parse("web"));
        assertThat(bind("docker", "web")).as("stable").isEqualTo(ContainerName.parse("docker:web"));
        assertThat(resolve("lxc:web")).isEqualTo(ContainerName.parse("web"));
        assertThat(resolve("docker:web")).isEqualTo(ContainerName.parse("docker:web"));
        assertThat(resolve("web")).isEqualTo(ContainerName.parse("web"));
        assertThat(resolve("podman:web")).as("unknown: as written").isEqualTo(ContainerName.parse("podman:web"));
        List<ContainerStore.Known> known = db.transaction(tx -> containers.known(tx.dsl()));
        assertThat(known).extracting(ContainerStore.Known::runtimeName)
                .containsExactly("web", "web");
    }

    @Test
    void aNameHeldByASandboxOrRegistrationIsNotTakenAndARegistrationCannotTakeARuntimesName() {
        db.transaction(tx -> {
            containers.register(tx.dsl(), new ContainerStore.Registration(ContainerName.parse("db"), "sandbox",
                    Optional.empty(), Optional.empty(), Optional.of("/run/db.pid")));
            return null;
        });
        assertThat(bind("podman", "db")).isEqualTo(ContainerName.parse("podman:db"));
        assertThat(resolve("sandbox:db")).isEqualTo(ContainerName.parse("db"));
        bind("lxc", "web");
        assertThatThrownBy(() -> db.transaction(tx -> {
            containers.register(tx.dsl(), new ContainerStore.Registration(ContainerName.parse("web"), "pid",
                    Optional.of(42), Optional.of(1L), Optional.empty()));
            return null;
        })).hasMessage("container name web is taken by a lxc container; register this one under another name");
    }

    @Test
    void qualifiedReferencesWrittenBeforeTheFirstStartFollowTheBoundName() {
        db.transaction(tx -> {
            sharing.apply(tx.dsl(), List.of(new Change.PutShare(new Share(new Owner.Guest(ContainerName.parse("lxc:web")),
                    GuestPath.parse("/srv"), Optional.of(ContainerName.parse("docker:db")), GuestPath.parse("/srv"),
                    Access.READ_ONLY))));
            return null;
        });
        assertThat(bind("lxc", "web")).isEqualTo(ContainerName.parse("web"));
        var shares = db.transaction(tx -> sharing.read(tx.dsl())).shares();
        assertThat(shares).singleElement().satisfies(s -> {
            assertThat(s.owner().name()).isEqualTo("web");
            assertThat(s.receiver()).contains(ContainerName.parse("docker:db"));
        });
    }
}
