package org.phoenixcast.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.phoenixcast.model.ContainerName;

class ContainerAndHistoryStoreTest {
    @TempDir Path dir;
    private Database db;
    private final ContainerStore containers = new ContainerStore(SharingStoreTest.CLOCK);
    private final HistoryStore history = new HistoryStore(SharingStoreTest.CLOCK);

    @BeforeEach
    void open() throws IOException {
        db = Database.open(dir.resolve("db"));
    }

    @AfterEach
    void close() {
        db.close();
    }

    private List<ContainerStore.Registration> registrations() {
        return db.transaction(tx -> containers.list(tx.dsl()));
    }

    private List<HistoryStore.Entry> latest(Optional<String> container, int limit) {
        return db.transaction(tx -> history.latest(tx.dsl(), container, limit));
    }

    @Test
    void registersReplacesUpdatesAndRemovesContainers() {
        ContainerName web1 = ContainerName.parse("web1");
        ContainerName web2 = ContainerName.parse("web2");
        var byPid = new ContainerStore.Registration(web2, "pid", Optional.of(4321), Optional.of(99L), Optional.empty());
        var byFile = new ContainerStore.Registration(web1, "pid", Optional.empty(), Optional.empty(), Optional.of("/run/web1.pid"));
        db.transaction(tx -> {
            containers.register(tx.dsl(), byPid);
            containers.register(tx.dsl(), byFile);
            return null;
        });
        assertThat(registrations()).containsExactly(byFile, byPid);

        var sandbox = new ContainerStore.Registration(web2, "sandbox", Optional.of(77), Optional.of(5L), Optional.empty());
        db.transaction(tx -> {
            containers.register(tx.dsl(), sandbox);
            containers.updatePid(tx.dsl(), web1, 555, 66L);
            return null;
        });
        assertThat(registrations()).containsExactly(
                new ContainerStore.Registration(web1, "pid", Optional.of(555), Optional.of(66L), Optional.of("/run/web1.pid")), sandbox);
        Optional<ContainerStore.Registration> found = db.transaction(tx -> containers.find(tx.dsl(), web2));
        assertThat(found).contains(sandbox);

        boolean removed = db.transaction(tx -> containers.remove(tx.dsl(), web2));
        boolean again = db.transaction(tx -> containers.remove(tx.dsl(), web2));
        assertThat(removed).isTrue();
        assertThat(again).isFalse();
        assertThat(registrations()).extracting(ContainerStore.Registration::name).containsExactly(web1);
    }

    @Test
    void keepsHistoryInOrderAndCutsOverlongText() {
        db.transaction(tx -> {
            history.record(tx.dsl(), "web1", "caston", "104:/var/tmp", "ok", "accepted", 1L);
            history.record(tx.dsl(), "web2", "cast", "x".repeat(9000), "refused", "y".repeat(5000), null);
            history.record(tx.dsl(), "web1", "mount", "/var/tmp", "mounted", "", null);
            return null;
        });
        List<HistoryStore.Entry> all = latest(Optional.empty(), 10);
        assertThat(all).extracting(HistoryStore.Entry::verb).containsExactly("caston", "cast", "mount");
        assertThat(all.get(0).at()).isEqualTo(OffsetDateTime.of(2024, 5, 1, 12, 0, 0, 0, ZoneOffset.UTC));
        assertThat(all.get(0).requestId()).isEqualTo(1L);
        assertThat(all.get(1).arguments()).hasSize(8192);
        assertThat(all.get(1).reason()).hasSize(4096);
        assertThat(latest(Optional.empty(), 2)).extracting(HistoryStore.Entry::verb).containsExactly("cast", "mount");
        assertThat(latest(Optional.of("web1"), 10)).extracting(HistoryStore.Entry::verb).containsExactly("caston", "mount");
    }
}
