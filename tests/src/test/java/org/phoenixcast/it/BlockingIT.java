package org.phoenixcast.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.phoenixcast.it.support.CastSession;
import org.phoenixcast.it.support.ExecResult;
import org.phoenixcast.it.support.Guest;
import org.phoenixcast.it.support.Guest.Shell;
import org.phoenixcast.testing.RequiresRoot;

/**
 * A receiver saying no: castblock (everything new, or one path) and the host disabling a guest
 * command. Real castd, real containers, guest commands under busybox sh and dash.
 */
@RequiresRoot(tools = {"unshare", "nsenter", "mount", "umount", "pivot_root", "busybox"})
class BlockingIT {
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

    private static ExecResult ok(String... lines) {
        return new ExecResult(0, lines.length == 0 ? "" : String.join("\n", lines) + "\n", "");
    }

    @ParameterizedTest
    @EnumSource(Shell.class)
    void blockingEverythingKeepsExistingMountsAndHoldsNewOnesUntilLifted(Shell shell) throws IOException {
        Guest owner = session.container("own", shell);
        Guest me = session.container("me", shell);
        String o = owner.name();
        owner.sh("mkdir -p /srv/old /srv/new && echo old > /srv/old/f && echo new > /srv/new/f"
                + " && /syscmd/cast /srv/old " + me.name());
        assertThat(me.sh("/syscmd/caston " + o + ":/srv/old").exitCode()).isZero();

        assertThat(me.sh("/syscmd/castblock")).isEqualTo(ok("blocking every new mount"));
        assertThat(me.sh("cat /srv/old/f").stdout()).as("what is mounted stays").isEqualTo("old\n");

        assertThat(owner.sh("/syscmd/cast /srv/new " + me.name()).exitCode()).isZero();
        assertThat(me.sh("/syscmd/caston " + o + ":/srv/new")).isEqualTo(ok(
                "accepted " + o + ":/srv/new at /srv/new (rw); not mounted while your castblock covers /srv/new"));
        assertThat(me.isMounted("/srv/new")).isFalse();
        assertThat(me.sh("/syscmd/showcast -a")).isEqualTo(ok(
                "blocked " + o + ":/srv/new /srv/new rw",
                "active " + o + ":/srv/old /srv/old rw"));
        assertThat(me.sh("/syscmd/castblock")).isEqualTo(ok("already blocking every new mount"));

        ExecResult lift = me.sh("/syscmd/castblock -u");
        assertThat(lift.exitCode()).isZero();
        assertThat(lift.stdout()).startsWith("lifted the block of every new mount\n");
        await("the held share mounts").atMost(Guest.SETTLE)
                .until(() -> me.sh("cat /srv/new/f").stdout(), "new\n"::equals);
        assertThat(me.sh("/syscmd/showcast")).isEqualTo(ok(o + ":/srv/new /srv/new rw", o + ":/srv/old /srv/old rw"));
        assertThat(me.sh("/syscmd/castblock -u")).isEqualTo(
                new ExecResult(1, "", "castblock: no block of every new mount to lift\n"));
    }

    @ParameterizedTest
    @EnumSource(Shell.class)
    void blockingAPathHoldsOnlyMountsAtThatPath(Shell shell) throws IOException {
        Guest owner = session.container("own", shell);
        Guest me = session.container("me", shell);
        String o = owner.name();
        assertThat(me.sh("/syscmd/castblock /srv/x")).isEqualTo(ok("blocking mounts at /srv/x"));
        owner.sh("mkdir -p /srv/x /srv/y && echo x > /srv/x/f && echo y > /srv/y/f"
                + " && /syscmd/cast /srv/x " + me.name() + " && /syscmd/cast /srv/y " + me.name());

        ExecResult caston = me.sh("/syscmd/caston");
        assertThat(caston.exitCode()).isZero();
        assertThat(caston.stdout().lines()).containsExactlyInAnyOrder(
                "accepted " + o + ":/srv/x at /srv/x (rw)",
                "accepted " + o + ":/srv/y at /srv/y (rw)",
                "mounted " + o + ":/srv/y at /srv/y (rw) in " + me.name());
        assertThat(me.sh("cat /srv/y/f").stdout()).isEqualTo("y\n");
        assertThat(me.isMounted("/srv/x")).isFalse();
        assertThat(me.sh("/syscmd/showcast -a")).isEqualTo(ok(
                "blocked " + o + ":/srv/x /srv/x rw",
                "active " + o + ":/srv/y /srv/y rw"));

        assertThat(me.sh("/syscmd/castblock -u /srv/x").stdout()).startsWith("lifted the block of mounts at /srv/x\n");
        await("/srv/x mounts once unblocked").atMost(Guest.SETTLE)
                .until(() -> me.sh("cat /srv/x/f").stdout(), "x\n"::equals);
        assertThat(me.sh("/syscmd/castblock -u /srv/x")).isEqualTo(
                new ExecResult(1, "", "castblock: no block of mounts at /srv/x to lift\n"));
    }

    @Test
    void aDisabledVerbLosesItsScriptAndItsRequestsAreRefused() throws IOException {
        Guest guest = session.container("vz", Shell.BUSYBOX);
        assertThat(guest.sh("ls /syscmd").stdout().lines())
                .containsExactlyInAnyOrder("cast", "castblock", "castoff", "caston", "replies", "showcast", "status", "ucast");

        assertThat(session.castctlOk("container", "disable", guest.name(), "castblock", "cast"))
                .isEqualTo("disabled castblock cast for " + guest.name() + "\n");
        await("castblock and cast leave /syscmd").atMost(Guest.SETTLE)
                .until(() -> guest.sh("ls /syscmd").stdout().lines().toList(),
                        l -> l.containsAll(List.of("caston", "castoff", "showcast", "ucast"))
                                && !l.contains("castblock") && !l.contains("cast"));
        JsonNode row = null;
        for (JsonNode r : new ObjectMapper().readTree(session.castctlOk("container", "list", "--json"))) {
            if (r.get("name").asText().equals(guest.name())) row = r;
        }
        assertThat(row).as("container list --json has " + guest.name()).isNotNull();
        assertThat(row.get("disabled").toString()).isIn("[\"castblock\",\"cast\"]", "[\"cast\",\"castblock\"]");

        assertThat(guest.sh("printf '\\n' > /.syscmd/castblock.7").exitCode()).isZero();
        await("reply to castblock.7").atMost(Guest.SETTLE)
                .until(() -> guest.sh("cat /syscmd/replies/castblock.7").stdout(),
                        "error: castblock is disabled for this container\n"::equals);
        assertThat(guest.sh("/syscmd/showcast -a")).as("nothing was blocked").isEqualTo(ok());

        session.castctlOk("container", "enable", guest.name(), "castblock", "cast");
        await("castblock comes back").atMost(Guest.SETTLE).until(() -> guest.sh("test -x /syscmd/castblock").succeeded());
        assertThat(guest.sh("/syscmd/castblock")).isEqualTo(ok("blocking every new mount"));
    }
}
