package org.phoenixcast.watch;

import org.phoenixcast.testing.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.store.Database;
import org.phoenixcast.store.HistoryStore;

class RefusalBurstsTest {
    private static final ContainerName A = ContainerName.parse("a");
    private static final ContainerName B = ContainerName.parse("b");
    private static final String REASON = "too many pending requests (max 4); try again later";

    @TempDir Path dir;
    private final MutableClock clock = new MutableClock();
    private final HistoryStore history = new HistoryStore(clock);
    private final RefusalBursts bursts = new RefusalBursts(clock, history);
    private Database db;

    @BeforeEach
    void open() throws IOException {
        db = Database.open(dir.resolve("db"));
    }

    @AfterEach
    void close() {
        db.close();
    }

    private void refuse(ContainerName c, String name) {
        db.transaction(tx -> {
            bursts.refused(tx.dsl(), c, name, REASON);
            return null;
        });
    }

    private List<HistoryStore.Entry> rows() {
        return db.transaction(tx -> history.latest(tx.dsl(), Optional.empty(), 1000));
    }

    @Test
    void aBurstOfAnyLengthIsOneRowWithItsCount() {
        for (int i = 0; i < 500; i++) {
            refuse(A, "showcast.a" + i);
            clock.advance(Duration.ofMillis(9)); // 4.5 s in all, never a 5 s gap
        }
        List<HistoryStore.Entry> rows = rows();
        assertThat(rows).hasSize(1);
        HistoryStore.Entry row = rows.get(0);
        assertThat(row.container()).isEqualTo("a");
        assertThat(row.verb()).isEqualTo("request");
        assertThat(row.outcome()).isEqualTo("refused");
        assertThat(row.reason()).isEqualTo(REASON);
        assertThat(row.arguments()).isEqualTo("500 request files in one burst: first 'showcast.a0', last 'showcast.a499'");
    }

    @Test
    void aQuietGapStartsANewRowAndGuestsHaveTheirOwn() {
        refuse(A, "showcast.1");
        refuse(B, "showcast.b");
        clock.advance(RefusalBursts.GAP);
        refuse(A, "showcast.2");
        refuse(A, "showcast.3");
        assertThat(rows()).extracting(HistoryStore.Entry::container, HistoryStore.Entry::arguments).containsExactly(
                org.assertj.core.groups.Tuple.tuple("a", "1 request file: 'showcast.1'"),
                org.assertj.core.groups.Tuple.tuple("b", "1 request file: 'showcast.b'"),
                org.assertj.core.groups.Tuple.tuple("a", "2 request files in one burst: first 'showcast.2', last 'showcast.3'"));
    }

    @Test
    void forgetsAStoppedGuest() {
        refuse(A, "showcast.1");
        refuse(B, "showcast.1");
        assertThat(bursts.tracked()).isEqualTo(2);
        bursts.forget(A);
        assertThat(bursts.tracked()).isEqualTo(1);
    }
}
