package org.phoenixcast.watch;

import org.phoenixcast.testing.MutableClock;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.phoenixcast.model.ContainerName;

class IntakeSchedulerTest {
    private static final ContainerName A = ContainerName.parse("a");
    private static final ContainerName B = ContainerName.parse("b");

    private final MutableClock clock = new MutableClock();
    /** Fake drop directories: files stay until taken, as on disk. */
    private final Map<ContainerName, Set<String>> dirs = new HashMap<>();
    private final List<String> taken = new ArrayList<>();
    private int listings;

    private final IntakeScheduler.Source source = new IntakeScheduler.Source() {
        @Override
        public List<String> list(ContainerName guest) {
            listings++;
            return List.copyOf(dirs.getOrDefault(guest, Set.of()));
        }

        @Override
        public boolean take(ContainerName guest, String name) {
            boolean present = dirs.get(guest).remove(name);
            if (present) taken.add(guest.value() + ":" + name);
            return present;
        }
    };

    private void drop(ContainerName guest, String... names) {
        dirs.computeIfAbsent(guest, k -> new LinkedHashSet<>()).addAll(List.of(names));
    }

    private void flood(ContainerName guest, int n) {
        for (int i = 0; i < n; i++) drop(guest, "showcast.f" + i);
    }

    @Test
    void anotherGuestsFileIsTakenInTheFirstRoundDespiteAFlood() {
        IntakeScheduler s = new IntakeScheduler(clock, source, 4, 1000, 1000);
        s.add(A);
        s.add(B);
        flood(A, 256);
        drop(B, "showcast.b1");

        IntakeScheduler.Round r = s.round();

        assertThat(taken).contains("b:showcast.b1");
        assertThat(r.taken()).isEqualTo(5);
        assertThat(r.nextIn()).contains(Duration.ZERO);
        assertThat(dirs.get(A)).hasSize(252);
    }

    @Test
    void takesAFloodInBatchesAndThenGoesIdle() {
        IntakeScheduler s = new IntakeScheduler(clock, source, 4, 1000, 1000);
        s.add(A);
        flood(A, 10);
        int rounds = 0;
        while (s.round().nextIn().isPresent()) rounds++;
        assertThat(dirs.get(A)).isEmpty();
        assertThat(taken).hasSize(10);
        assertThat(rounds).isEqualTo(3); // 4 + 4 + 2, then one listing finds nothing more
        assertThat(s.round().nextIn()).isEmpty();
    }

    @Test
    void leavesFilesBeyondTheRateInTheDropDirectoryAndTakesThemAsTokensCome() {
        IntakeScheduler s = new IntakeScheduler(clock, source, 4, 10, 10);
        s.add(A);
        s.add(B);
        flood(A, 50);

        while (s.round().nextIn().map(Duration::isZero).orElse(false)) { }
        assertThat(taken).hasSize(10);
        assertThat(dirs.get(A)).hasSize(40);
        assertThat(s.round().nextIn()).contains(Duration.ofMillis(100));

        drop(B, "showcast.b1");
        s.markDirty(B);
        s.round();
        assertThat(taken).as("the other guest has its own bucket").contains("b:showcast.b1");

        clock.advance(Duration.ofMillis(300));
        s.round();
        assertThat(taken).hasSize(11 + 3);
        assertThat(dirs.get(A)).hasSize(37);
    }

    @Test
    void aGuestIsOnlyListedWhenMarkedDirty() {
        IntakeScheduler s = new IntakeScheduler(clock, source, 4, 100, 100);
        s.add(A);
        s.round();
        int before = listings;
        drop(A, "showcast.x");
        assertThat(s.round().nextIn()).isEmpty();
        assertThat(listings).isEqualTo(before);
        assertThat(taken).isEmpty();

        s.markDirty(A);
        s.round();
        assertThat(taken).containsExactly("a:showcast.x");
    }

    @Test
    void aRescanMarksEveryGuestAndSkipsTemporaryFiles() {
        IntakeScheduler s = new IntakeScheduler(clock, source, 4, 100, 100);
        s.add(A);
        s.add(B);
        s.round();
        drop(A, ".showcast.tmp", "showcast.a");
        drop(B, "showcast.b");
        s.markAllDirty();
        s.round();
        assertThat(taken).containsExactlyInAnyOrder("a:showcast.a", "b:showcast.b");
        assertThat(dirs.get(A)).containsExactly(".showcast.tmp");
    }

    @Test
    void keepsNoStateForARemovedGuestAndAtMostOneListingPerGuest() {
        IntakeScheduler s = new IntakeScheduler(clock, source, 4, 1, 1);
        s.add(A);
        flood(A, 256);
        s.round();
        assertThat(s.pendingEntries()).isEqualTo(255);
        s.markAllDirty();
        s.round();
        assertThat(s.pendingEntries()).as("a rescan does not list again while a listing is pending").isEqualTo(255);
        s.remove(A);
        assertThat(s.guests()).isZero();
        assertThat(s.pendingEntries()).isZero();
        assertThat(s.round().nextIn()).isEqualTo(Optional.empty());
    }
}
