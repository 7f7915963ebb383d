package org.phoenixcast.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.store.Database;
import org.phoenixcast.testing.MutableClock;

class RequestQueueTest {
    private static final ContainerName WEB1 = ContainerName.parse("web1");
    private static final ContainerName WEB2 = ContainerName.parse("web2");

    @TempDir Path dir;
    private Database db;
    private final RequestQueue queue = new RequestQueue(Clock.fixed(Instant.parse("2024-05-01T12:00:00Z"), ZoneOffset.UTC));

    @BeforeEach
    void open() throws IOException {
        db = Database.open(dir.resolve("db"));
    }

    @AfterEach
    void close() {
        db.close();
    }

    private <T> T tx(java.util.function.Function<DSLContext, T> work) {
        return db.transaction(c -> work.apply(c.dsl()));
    }

    private long enqueue(ContainerName c, String name, long inode, long ctime, String body) {
        return tx(d -> queue.enqueue(d, c, name, inode, ctime, body));
    }

    private boolean known(ContainerName c, String name, long inode, long ctime) {
        return tx(d -> queue.isKnown(d, c, name, inode, ctime));
    }

    private Optional<QueuedRequest> oldest(ContainerName c) {
        return tx(d -> queue.oldestQueued(d, c));
    }

    private List<QueuedRequest> decided() {
        return tx(queue::decidedNotReplied);
    }

    private List<ContainerName> containers() {
        return tx(queue::containersWithQueued);
    }

    private int count() {
        return tx(queue::countQueued);
    }

    private void decide(long id, String reply) {
        tx(d -> { queue.markDecided(d, id, reply); return null; });
    }

    private void replied(long id, String reply) {
        tx(d -> { queue.markReplied(d, id, reply); return null; });
    }

    private boolean knownTo(RequestQueue q, ContainerName c, String name, long inodeAndCtime) {
        return tx(d -> q.isKnown(d, c, name, inodeAndCtime, inodeAndCtime));
    }

    @Test
    void prunesOnlyRepliedRowsOlderThanTheWindowAndAtMostTheLimit() {
        MutableClock clock = new MutableClock();
        RequestQueue q = new RequestQueue(clock);
        long old1 = tx(d -> q.enqueue(d, WEB1, "caston.1", 1, 1, "x\n"));
        long old2 = tx(d -> q.enqueue(d, WEB1, "caston.2", 2, 2, "x\n"));
        long oldDecided = tx(d -> q.enqueue(d, WEB1, "caston.3", 3, 3, "x\n"));
        long oldQueued = tx(d -> q.enqueue(d, WEB2, "caston.4", 4, 4, "x\n"));
        tx(d -> { q.markReplied(d, old1, "ok\n"); q.markReplied(d, old2, "ok\n"); q.markDecided(d, oldDecided, "ok\n"); return null; });
        clock.advance(java.time.Duration.ofHours(1));
        long fresh = tx(d -> q.enqueue(d, WEB1, "caston.5", 5, 5, "x\n"));
        tx(d -> { q.markReplied(d, fresh, "ok\n"); return null; });
        clock.advance(java.time.Duration.ofSeconds(1));

        java.time.Duration hour = java.time.Duration.ofHours(1);
        int first = tx(d -> q.pruneReplied(d, hour, 1));
        int second = tx(d -> q.pruneReplied(d, hour, 100));
        int third = tx(d -> q.pruneReplied(d, hour, 100));
        assertThat(List.of(first, second, third)).as("limit 1, then the other old one, then none").containsExactly(1, 1, 0);

        assertThat(knownTo(q, WEB1, "caston.1", 1)).isFalse();
        assertThat(knownTo(q, WEB1, "caston.2", 2)).isFalse();
        assertThat(knownTo(q, WEB1, "caston.3", 3)).as("decided, reply not delivered").isTrue();
        assertThat(knownTo(q, WEB2, "caston.4", 4)).as("still queued").isTrue();
        assertThat(knownTo(q, WEB1, "caston.5", 5)).as("replied within the window").isTrue();
    }

    @Test
    void movesARequestFromQueuedToDecidedToReplied() {
        long id = enqueue(WEB1, "caston.1", 11, 1_000, "104:/var/tmp\n");
        assertThat(known(WEB1, "caston.1", 11, 1_000)).isTrue();
        assertThat(oldest(WEB1)).contains(
                new QueuedRequest(id, WEB1, "caston.1", "104:/var/tmp\n", RequestQueue.QUEUED, null));
        assertThat(count()).isEqualTo(1);

        decide(id, "ok\naccepted\n");
        assertThat(oldest(WEB1)).isEmpty();
        assertThat(containers()).isEmpty();
        assertThat(decided()).containsExactly(
                new QueuedRequest(id, WEB1, "caston.1", "104:/var/tmp\n", RequestQueue.DECIDED, "ok\naccepted\n"));
        assertThat(count()).isEqualTo(1);

        replied(id, "ok\naccepted\n");
        assertThat(decided()).isEmpty();
        assertThat(count()).isZero();
        assertThat(known(WEB1, "caston.1", 11, 1_000)).as("still known after the reply").isTrue();
    }

    @Test
    void recognisesAFileOnlyByContainerNameInodeAndCtime() {
        enqueue(WEB1, "caston.1", 11, 1_000, "");
        assertThat(known(WEB1, "caston.1", 11, 1_000)).isTrue();
        assertThat(known(WEB2, "caston.1", 11, 1_000)).isFalse();
        assertThat(known(WEB1, "caston.2", 11, 1_000)).isFalse();
        assertThat(known(WEB1, "caston.1", 12, 1_000)).isFalse();
        assertThat(known(WEB1, "caston.1", 11, 1_001)).isFalse();
    }

    @Test
    void refusesTheSameFileTwice() {
        enqueue(WEB1, "caston.1", 11, 1_000, "");
        assertThatThrownBy(() -> tx(d -> queue.enqueue(d, WEB1, "caston.1", 11, 1_000, "other")))
                .isInstanceOf(DataAccessException.class);
        assertThat(count()).isEqualTo(1);
    }

    @Test
    void servesContainersRoundRobinAndEachInArrivalOrder() {
        long a1 = enqueue(WEB2, "cast", 1, 1, "/a");
        long b1 = enqueue(WEB1, "cast", 2, 1, "/b");
        long a2 = enqueue(WEB2, "cast", 3, 1, "/c");
        assertThat(containers()).containsExactly(WEB1, WEB2);
        assertThat(oldest(WEB2)).map(QueuedRequest::id).contains(a1);
        assertThat(oldest(WEB1)).map(QueuedRequest::id).contains(b1);
        decide(a1, "ok\n");
        assertThat(oldest(WEB2)).map(QueuedRequest::id).contains(a2);
        decide(b1, "ok\n");
        assertThat(containers()).containsExactly(WEB2);
        assertThat(decided()).extracting(QueuedRequest::id).containsExactly(a1, b1);
        assertThat(oldest(ContainerName.parse("web3"))).isEqualTo(Optional.empty());
    }

    @Test
    void decidesOnlyAQueuedRequest() {
        long id = enqueue(WEB1, "castoff", 5, 5, "");
        decide(id, "first\n");
        decide(id, "second\n");
        assertThat(decided()).extracting(QueuedRequest::reply).containsExactly("first\n");
        replied(id, "first\n");
        decide(id, "third\n");
        assertThat(decided()).isEmpty();
    }

    @Test
    void cutsAnOverlongReplyWithANote() {
        long id = enqueue(WEB1, "showcast", 6, 6, "");
        decide(id, "x".repeat(70_000));
        String reply = decided().get(0).reply();
        assertThat(reply).hasSizeLessThanOrEqualTo(65536).endsWith("\n(reply cut)\n").startsWith("xxxx");
    }

    @Test
    void keepsACommittedRequestAcrossARestart() throws IOException {
        long id = enqueue(WEB1, "caston.9", 9, 9, "host:/usr/portage\n");
        decide(id, "ok\n");
        db.close();
        db = Database.open(dir.resolve("db"));
        assertThat(known(WEB1, "caston.9", 9, 9)).isTrue();
        assertThat(decided()).containsExactly(
                new QueuedRequest(id, WEB1, "caston.9", "host:/usr/portage\n", RequestQueue.DECIDED, "ok\n"));
    }

    @Test
    void leavesNoFileReadableByOthersAfterAFailedStatement() throws IOException {
        enqueue(WEB1, "caston.1", 11, 1_000, "");
        assertThatThrownBy(() -> enqueue(WEB1, "caston.1", 11, 1_000, ""));
        try (var files = Files.list(dir.resolve("db"))) {
            for (Path f : files.toList()) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as(f.toString()).isEqualTo("rw-------");
            }
        }
    }
}
