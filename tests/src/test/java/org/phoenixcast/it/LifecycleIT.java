package org.phoenixcast.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.phoenixcast.it.support.CastSession;
import org.phoenixcast.it.support.CastdProcess;
import org.phoenixcast.it.support.ExecResult;
import org.phoenixcast.it.support.Guest;
import org.phoenixcast.it.support.Guest.Shell;
import org.phoenixcast.testing.RequiresRoot;

/**
 * Shares across container lifecycles (castd sandboxes restarted, stopped and started; a sandbox
 * and a PID-registered container sharing with each other) and the casts.ini round trip.
 */
@RequiresRoot(tools = {"unshare", "nsenter", "mount", "umount", "pivot_root", "busybox"})
class LifecycleIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static CastSession session;

    @BeforeAll
    static void startCastd() throws IOException {
        session = CastSession.start();
    }

    @AfterEach
    void undoTheTest() throws IOException {
        session.endTest();
    }

    @AfterAll
    static void stopCastd() throws IOException {
        if (session != null) session.close();
    }

    @Test
    void aRestartedReceiverGetsItsAcceptedSharesBack() throws IOException {
        Guest owner = session.container("own", Shell.BUSYBOX);
        Guest receiver = session.sandbox("sbx");
        String source = owner.name() + ":/srv/data";
        owner.sh("mkdir -p /srv/data && echo kept > /srv/data/f && /syscmd/cast --ro /srv/data " + receiver.name());
        assertThat(receiver.sh("/syscmd/caston " + source).exitCode()).isZero();
        assertThat(receiver.sh("cat /srv/data/f").stdout()).isEqualTo("kept\n");
        int before = receiver.pid();

        session.castctlOk("sandbox", "restart", receiver.name());

        assertThat(receiver.pid()).isNotEqualTo(before);
        await("the share is back after the restart").atMost(Guest.SETTLE)
                .until(() -> receiver.sh("cat /srv/data/f").stdout(), "kept\n"::equals);
        assertThat(receiver.sh("/syscmd/showcast")).isEqualTo(new ExecResult(0, source + " /srv/data ro\n", ""));
        assertThat(receiver.mountOptions("/srv/data")).contains("ro", "nosuid", "nodev");
        ExecResult write = receiver.sh("echo x > /srv/data/f");
        assertThat(write.exitCode()).isNotZero();
        assertThat(write.stderr()).contains("Read-only file system");
        assertThat(owner.sh("cat /srv/data/f").stdout()).isEqualTo("kept\n");
    }

    @Test
    void aContainerRegisteredAgainUnderItsNameAfterARestartGetsItsAcceptedSharesBack() throws IOException {
        Guest owner = session.sandbox("sbx");
        String name = CastSession.uniqueName("rcv");
        String source = owner.name() + ":/srv/data";
        assertThat(owner.sh("mkdir -p /srv/data && echo again > /srv/data/f && /syscmd/cast /srv/data " + name)
                .exitCode()).isZero();
        try (Guest first = Guest.container(session.castd(), name, Shell.BUSYBOX)) {
            assertThat(first.sh("/syscmd/caston " + source).exitCode()).isZero();
            assertThat(first.sh("cat /srv/data/f").stdout()).isEqualTo("again\n");
        }
        try (Guest second = Guest.container(session.castd(), name, Shell.BUSYBOX, Guest.Registration.CASTCTL)) {
            await("the accepted share mounts in the new container").atMost(Guest.SETTLE)
                    .until(() -> second.sh("cat /srv/data/f").stdout(), "again\n"::equals);
            assertThat(second.sh("/syscmd/showcast")).isEqualTo(new ExecResult(0, source + " /srv/data rw\n", ""));
        }
    }

    @Test
    void stoppingTheOwnerDetachesItsShareAndStartingItReattaches() throws IOException {
        Guest owner = session.sandbox("sbx");
        Guest receiver = session.container("rcv", Shell.DASH);
        String source = owner.name() + ":/srv/data";
        assertThat(owner.sh("mkdir -p /srv/data && echo persisted > /srv/data/f && /syscmd/cast /srv/data "
                + receiver.name()).exitCode()).isZero();
        assertThat(receiver.sh("/syscmd/caston " + source).exitCode()).isZero();
        assertThat(receiver.sh("cat /srv/data/f").stdout()).isEqualTo("persisted\n");

        session.castctlOk("sandbox", "stop", owner.name());
        await("the share leaves the receiver").atMost(Guest.SETTLE).until(() -> !receiver.isMounted("/srv/data"));
        assertThat(receiver.sh("/syscmd/showcast -a"))
                .isEqualTo(new ExecResult(0, "accepted " + source + " /srv/data rw\n", ""));

        session.castctlOk("sandbox", "start", owner.name());
        await("the share comes back").atMost(Guest.SETTLE)
                .until(() -> receiver.sh("cat /srv/data/f").stdout(), "persisted\n"::equals);
        assertThat(receiver.sh("/syscmd/showcast")).isEqualTo(new ExecResult(0, source + " /srv/data rw\n", ""));
    }

    @Test
    void aSandboxAndAPidRegisteredContainerShareWithEachOther() throws IOException {
        Guest sandbox = session.sandbox("sbx");
        Guest busybox = session.containerViaCastctl("bb", Shell.BUSYBOX);
        assertThat(sandbox.shellExe()).endsWith("/dash");
        assertThat(busybox.shellExe()).isEqualTo("/bin/busybox");

        assertThat(sandbox.sh("mkdir -p /srv/from-sandbox && /syscmd/cast /srv/from-sandbox " + busybox.name()
                + ":/srv/in")).isEqualTo(new ExecResult(0,
                "offered /srv/from-sandbox to " + busybox.name() + " at /srv/in (rw)\n", ""));
        assertThat(busybox.sh("mkdir -p /srv/from-busybox && /syscmd/cast /srv/from-busybox " + sandbox.name()
                + ":/srv/in")).isEqualTo(new ExecResult(0,
                "offered /srv/from-busybox to " + sandbox.name() + " at /srv/in (rw)\n", ""));
        assertThat(sandbox.sh("/syscmd/caston " + busybox.name() + ":/srv/from-busybox").exitCode()).isZero();
        assertThat(busybox.sh("/syscmd/caston " + sandbox.name() + ":/srv/from-sandbox").exitCode()).isZero();

        assertThat(sandbox.sh("echo hello from the sandbox > /srv/in/note").succeeded()).isTrue();
        assertThat(busybox.sh("echo hello from busybox > /srv/in/note").succeeded()).isTrue();
        assertThat(sandbox.sh("cat /srv/from-sandbox/note").stdout()).isEqualTo("hello from busybox\n");
        assertThat(busybox.sh("cat /srv/from-busybox/note").stdout()).isEqualTo("hello from the sandbox\n");

        List<Map<String, String>> rows = rows(JSON.readTree(session.castctlOk("status", "--json")).get("mounts"));
        assertThat(rows).containsExactlyInAnyOrder(
                Map.of("receiver", busybox.name(), "source", sandbox.name() + ":/srv/from-sandbox", "target", "/srv/in", "access", "rw"),
                Map.of("receiver", sandbox.name(), "source", busybox.name() + ":/srv/from-busybox", "target", "/srv/in", "access", "rw"));

        List<String> castons = new ArrayList<>();
        JSON.readTree(session.castctlOk("history", "--json")).forEach(e -> {
            String who = e.get("container").asText();
            if (e.get("verb").asText().equals("caston") && (who.equals(sandbox.name()) || who.equals(busybox.name()))) {
                castons.add(e.get("container").asText() + " " + e.get("arguments").asText() + " " + e.get("outcome").asText());
            }
        });
        assertThat(castons).containsExactlyInAnyOrder(
                sandbox.name() + " " + busybox.name() + ":/srv/from-busybox ok",
                busybox.name() + " " + sandbox.name() + ":/srv/from-sandbox ok");
    }

    @Test
    void importedCastsIniSurvivesExportAndReimportAndMountsWhenItsContainersRun() throws IOException {
        Path ini = CastdProcess.repo().resolve("etc/casts.ini");
        assertThat(session.castctlOk("import", ini.toString()))
                .isEqualTo("imported 8 offers, 1 acceptances, 1 blocks, 0 disabled verbs\n");
        JsonNode imported = JSON.readTree(session.castctlOk("status", "--json"));
        assertThat(rows(imported.get("shares"))).containsExactlyInAnyOrder(
                share("104:/var/tmp", "103", "/var/tmp", "rw"),
                share("104:/var/tmp", "105", "/_external/var/tmp", "rw"),
                share("105:/etc/1337", "103", "/etc/1337", "rw"),
                share("104:/tmp/portage", "every container", "/tmp/portage", "rw"),
                share("104:/etc/skel", "every container", "/etc/skel", "rw"),
                share("104:/home/magicaluser", "every container", "/home/magicaluser", "rw"),
                share("host:/usr/portage", "every container", "/usr/portage", "ro"),
                share("host:/tmp/portage", "every container", "/tmp/portage", "ro"));
        assertThat(rows(imported.get("acceptances"))).containsExactly(Map.of("receiver", "103", "source", "104:/var/tmp"));
        assertThat(rows(imported.get("blocks"))).containsExactly(Map.of("receiver", "105", "path", "*"));

        Path exported = session.hostDir("README", "export target").resolve("casts.ini");
        session.castctlOk("export", exported.toString());
        assertThat(Files.readString(exported)).contains("[104]", "[published]");
        session.castctlOk("import", exported.toString());
        assertThat(JSON.readTree(session.castctlOk("status", "--json"))).isEqualTo(imported);

        Guest owner = session.containerNamed("104", Shell.BUSYBOX);
        owner.sh("mkdir -p /var/tmp && echo from 104 > /var/tmp/f");
        Guest receiver = session.containerNamed("103", Shell.DASH);
        await("103 mounts 104:/var/tmp, as the casts.ini says").atMost(Guest.SETTLE)
                .until(() -> receiver.sh("cat /var/tmp/f").stdout(), "from 104\n"::equals);
        assertThat(receiver.sh("/syscmd/showcast")).isEqualTo(new ExecResult(0, "104:/var/tmp /var/tmp rw\n", ""));
    }

    private static Map<String, String> share(String source, String to, String target, String access) {
        return Map.of("source", source, "to", to, "target", target, "access", access);
    }

    private static List<Map<String, String>> rows(JsonNode array) {
        List<Map<String, String>> rows = new ArrayList<>();
        array.forEach(row -> {
            Map<String, String> m = new TreeMap<>();
            row.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
            rows.add(m);
        });
        return rows;
    }
}
