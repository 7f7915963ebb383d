package org.phoenixcast.it.runtimes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.phoenixcast.it.support.CastSession;
import org.phoenixcast.it.support.ExecResult;
import org.phoenixcast.it.support.Guest;
import org.phoenixcast.it.support.RuntimeContainer;
import org.phoenixcast.it.support.RuntimeFixture;

/**
 * What every runtime must do, end to end: a real castd that discovers the fixture's containers by
 * itself (castd.conf names the runtime, nothing is registered), a castd sandbox as the peer, the
 * guest commands run inside the runtime's containers, and the outcome checked in the containers'
 * own mount tables and files. A subclass per runtime supplies the fixture.
 *
 * <p>Every container a test starts is closed in {@link #closeContainers()}, the fixture (and any
 * daemon it started) and castd in {@link #closeAll()}, also after failures.
 */
abstract class RuntimeContract {
    static CastSession session;
    static RuntimeFixture fixture;
    private final List<RuntimeContainer> containers = new ArrayList<>();

    /** Called by each subclass's @BeforeAll. */
    static void startWith(RuntimeFixture f) throws IOException {
        fixture = f;
        session = CastSession.start(f.castdSettings());
    }

    @AfterEach
    void closeContainers() throws IOException {
        containers.forEach(RuntimeContainer::close);
        containers.clear();
        session.endTest();
    }

    @AfterAll
    static void closeAll() throws IOException {
        try {
            if (session != null) session.close();
        } finally {
            if (fixture != null) fixture.close();
            session = null;
            fixture = null;
        }
    }

    RuntimeContainer started(String prefix) throws IOException {
        RuntimeContainer c = fixture.create(CastSession.uniqueName(prefix));
        containers.add(c);
        c.start();
        return c;
    }

    static void awaitCommands(RuntimeContainer c) {
        await(c.name() + " gets /syscmd/caston without registration").atMost(Guest.SETTLE)
                .pollInterval(Duration.ofMillis(20))
                .until(() -> c.sh("test -x /syscmd/caston && test -f /syscmd/status").succeeded());
    }

    static ExecResult guest(RuntimeContainer c, String command) {
        return c.sh("PATH=/syscmd:$PATH; " + command);
    }

    static boolean mounted(RuntimeContainer c, String target) {
        String mountinfo = c.sh("cat /proc/self/mountinfo").stdout();
        return mountinfo.lines().anyMatch(l -> l.split(" ")[4].equals(target));
    }

    @Test
    void aStartedContainerGetsItsCommandsWithoutRegistration() throws IOException {
        RuntimeContainer c = started("disc");
        awaitCommands(c);
        assertThat(session.castctlOk("container", "list")).contains(c.name()).contains(fixture.runtime())
                .contains("running");
        assertThat(guest(c, "showcast").succeeded()).isTrue();
    }

    @Test
    void sharesFlowOutOfAndIntoTheRuntimesContainer() throws IOException {
        RuntimeContainer c = started("flow");
        Guest peer = session.sandbox("peer");
        awaitCommands(c);

        // out: the runtime's container offers, the sandbox accepts
        assertThat(c.sh("mkdir -p /srv/out && echo from-" + c.name() + " > /srv/out/hello").succeeded()).isTrue();
        assertThat(guest(c, "cast /srv/out " + peer.name() + ":/srv/in").exitCode()).isZero();
        ExecResult accepted = peer.sh("/syscmd/caston " + fixture.runtime() + ":" + c.name() + ":/srv/out");
        assertThat(accepted.exitCode()).as(accepted.toString()).isZero();
        assertThat(peer.sh("cat /srv/in/hello").stdout()).isEqualTo("from-" + c.name() + "\n");
        assertThat(peer.sh("echo back > /srv/in/answer").succeeded()).isTrue();
        assertThat(c.sh("cat /srv/out/answer").stdout()).isEqualTo("back\n");

        // in: the sandbox offers, the runtime's container accepts
        assertThat(peer.sh("mkdir -p /srv/give && echo from-peer > /srv/give/f").succeeded()).isTrue();
        assertThat(peer.sh("/syscmd/cast /srv/give " + c.name()).exitCode()).isZero();
        ExecResult got = guest(c, "caston " + peer.name() + ":/srv/give");
        assertThat(got.exitCode()).as(got.toString()).isZero();
        assertThat(c.sh("cat /srv/give/f").stdout()).isEqualTo("from-peer\n");
        assertThat(c.sh("echo mine > /srv/give/g").succeeded()).isTrue();
        assertThat(peer.sh("cat /srv/give/g").stdout()).isEqualTo("mine\n");
    }

    @Test
    void aReadOnlyShareStaysReadOnlyAgainstTheContainersRoot() throws IOException {
        RuntimeContainer c = started("ro");
        Path dir = session.hostDir("f", "published");
        session.castctlOk("publish", "--ro", dir.toString(), "--to", c.name() + ":/srv/ro");
        awaitCommands(c);
        ExecResult got = guest(c, "caston host:" + dir);
        assertThat(got.exitCode()).as(got.toString()).isZero();
        assertThat(c.sh("cat /srv/ro/f").stdout()).isEqualTo("published");
        assertThat(c.sh("echo x > /srv/ro/new").succeeded()).as("write through ro").isFalse();
        ExecResult remount = c.sh("mount -o remount,bind,rw /srv/ro");
        assertThat(remount.succeeded()).as("remount rw as the container's root: " + remount).isFalse();
        assertThat(c.sh("echo x > /srv/ro/new").succeeded()).as("write after the remount attempt").isFalse();
        assertThat(Files.exists(dir.resolve("new"))).isFalse();
    }

    @Test
    void aRestartedContainerGetsItsCommandsAndSharesBack() throws IOException {
        RuntimeContainer c = started("rst");
        Path dir = session.hostDir("f", "again");
        session.castctlOk("publish", dir.toString(), "--to", c.name() + ":/srv/pub");
        awaitCommands(c);
        assertThat(guest(c, "caston host:" + dir).exitCode()).isZero();
        int before = c.pid();

        c.stop();
        await("castd sees " + c.name() + " stopped").atMost(Guest.SETTLE).pollInterval(Duration.ofMillis(50))
                .until(() -> session.castctlOk("container", "list").lines()
                        .anyMatch(l -> l.startsWith(c.name() + " ") && l.contains("stopped")));
        c.start();
        assertThat(c.pid()).isNotEqualTo(before);
        awaitCommands(c);
        await("the accepted share is mounted again").atMost(Guest.SETTLE).pollInterval(Duration.ofMillis(50))
                .until(() -> c.sh("cat /srv/pub/f").stdout().equals("again"));
    }

    @Test
    void aStoppedOwnersSharesAreDetachedFromReceivers() throws IOException {
        RuntimeContainer c = started("stp");
        Guest peer = session.sandbox("rcv");
        awaitCommands(c);
        assertThat(c.sh("mkdir -p /srv/s && echo x > /srv/s/x").succeeded()).isTrue();
        assertThat(guest(c, "cast /srv/s " + peer.name()).exitCode()).isZero();
        assertThat(peer.sh("/syscmd/caston " + c.name() + ":/srv/s").exitCode()).isZero();
        assertThat(peer.isMounted("/srv/s")).isTrue();

        c.stop();
        await("the receiver's mount of the stopped owner's share is gone").atMost(Guest.SETTLE)
                .pollInterval(Duration.ofMillis(50)).until(() -> !peer.isMounted("/srv/s"));
    }
}
