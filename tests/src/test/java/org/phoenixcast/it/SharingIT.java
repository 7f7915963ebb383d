package org.phoenixcast.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Offering, accepting, publishing, withdrawing and listing shares end to end: a real castd,
 * real containers registered by PID, the guest commands run inside under busybox sh and dash,
 * and the outcome checked where it counts (file contents across the share, the receiver's
 * mountinfo, exact command output and exit codes).
 */
@RequiresRoot(tools = {"unshare", "nsenter", "mount", "umount", "pivot_root", "busybox"})
class SharingIT {
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

    private static ExecResult refused(int exit, String stderrLine) {
        return new ExecResult(exit, "", stderrLine + "\n");
    }

    private static void ownerHas(Guest owner, String dir, String file, String content) {
        assertThat(owner.sh("mkdir -p " + dir + " && printf '%s' '" + content + "' > " + dir + "/" + file).succeeded()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(Shell.class)
    void offerThenAcceptMountsTheOwnersFolderReadWriteAtTheChosenTarget(Shell shell) throws IOException {
        Guest owner = session.container("own", shell);
        Guest receiver = session.containerViaCastctl("rcv", shell);
        assertThat(owner.shellExe()).endsWith(shell == Shell.BUSYBOX ? "/busybox" : "/dash");
        ownerHas(owner, "/srv/data", "hello", "from the owner");

        assertThat(owner.sh("/syscmd/cast /srv/data " + receiver.name() + ":/srv/incoming"))
                .isEqualTo(ok("offered /srv/data to " + receiver.name() + " at /srv/incoming (rw)"));
        assertThat(receiver.isMounted("/srv/incoming")).as("nothing mounts before the receiver consents").isFalse();

        String source = owner.name() + ":/srv/data";
        assertThat(receiver.sh("/syscmd/caston " + source)).isEqualTo(ok(
                "accepted " + source + " at /srv/incoming (rw)",
                "mounted " + source + " at /srv/incoming (rw) in " + receiver.name()));

        assertThat(receiver.sh("cat /srv/incoming/hello").stdout()).isEqualTo("from the owner");
        assertThat(receiver.sh("echo from the receiver > /srv/incoming/answer").succeeded()).isTrue();
        assertThat(owner.sh("cat /srv/data/answer").stdout()).isEqualTo("from the receiver\n");
        assertThat(receiver.mountOptions("/srv/incoming")).contains("rw").doesNotContain("ro");
        assertThat(receiver.sh("test -e /srv/data").succeeded()).as("only the target is touched").isFalse();
    }

    @ParameterizedTest
    @EnumSource(Shell.class)
    void acceptBeforeOfferMountsAsSoonAsTheOwnerOffers(Shell shell) throws IOException {
        Guest owner = session.container("own", shell);
        Guest receiver = session.container("rcv", shell);
        ownerHas(owner, "/srv/data", "f", "early consent");
        String source = owner.name() + ":/srv/data";

        assertThat(receiver.sh("/syscmd/caston " + source)).isEqualTo(ok(
                "accepted " + source + "; it is not offered to you yet and mounts when " + owner.name() + " offers it"));
        assertThat(receiver.sh("/syscmd/showcast -a")).isEqualTo(ok("accepted " + source + " /srv/data -"));
        assertThat(receiver.isMounted("/srv/data")).isFalse();

        ExecResult cast = owner.sh("/syscmd/cast /srv/data " + receiver.name());
        assertThat(cast.exitCode()).isZero();
        assertThat(cast.stdout()).startsWith("offered /srv/data to " + receiver.name() + " at /srv/data (rw)\n");

        await("the share mounts in " + receiver.name()).atMost(Guest.SETTLE)
                .until(() -> receiver.sh("cat /srv/data/f").stdout(), "early consent"::equals);
        assertThat(receiver.sh("/syscmd/showcast")).isEqualTo(ok(source + " /srv/data rw"));
    }

    @Test
    void publishingToEveryContainerReachesEachReceiverThatAcceptsAndNoOther() throws IOException {
        Guest owner = session.container("pub", Shell.BUSYBOX);
        Guest dashReceiver = session.container("rcv", Shell.DASH);
        Guest busyboxReceiver = session.container("rcv", Shell.BUSYBOX);
        ownerHas(owner, "/srv/pub", "notice", "for everyone");
        String source = owner.name() + ":/srv/pub";

        assertThat(owner.sh("/syscmd/cast /srv/pub")).isEqualTo(ok("published /srv/pub to every container at /srv/pub (rw)"));
        assertThat(busyboxReceiver.sh("/syscmd/showcast -a")).isEqualTo(ok("offered " + source + " /srv/pub rw"));

        assertThat(dashReceiver.sh("/syscmd/caston")).isEqualTo(ok(
                "accepted " + source + " at /srv/pub (rw)",
                "mounted " + source + " at /srv/pub (rw) in " + dashReceiver.name()));
        assertThat(dashReceiver.sh("cat /srv/pub/notice").stdout()).isEqualTo("for everyone");
        assertThat(busyboxReceiver.isMounted("/srv/pub")).as("no consent, no mount").isFalse();

        assertThat(busyboxReceiver.sh("/syscmd/caston " + source).exitCode()).isZero();
        assertThat(busyboxReceiver.sh("cat /srv/pub/notice").stdout()).isEqualTo("for everyone");
        assertThat(owner.isMounted("/srv/pub")).as("the owner's own folder is not mounted over").isFalse();
    }

    @ParameterizedTest
    @EnumSource(Shell.class)
    void hostPublicationIsKernelReadOnlyWhenPublishedReadOnlyAndWritableOtherwise(Shell shell) throws IOException {
        Guest receiver = session.container("rcv", shell);
        Path ro = session.hostDir("motd", "read me");
        Path rw = session.hostDir("log", "");
        assertThat(session.castctlOk("publish", ro.toString(), "--ro"))
                .isEqualTo("published host:" + ro + " to every container at " + ro + " (ro)\n");
        assertThat(session.castctlOk("publish", rw.toString()))
                .isEqualTo("published host:" + rw + " to every container at " + rw + " (rw)\n");

        ExecResult caston = receiver.sh("/syscmd/caston");
        assertThat(caston.exitCode()).isZero();
        assertThat(caston.stdout().lines()).containsExactlyInAnyOrder(
                "accepted host:" + ro + " at " + ro + " (ro)",
                "accepted host:" + rw + " at " + rw + " (rw)",
                "mounted host:" + ro + " at " + ro + " (ro) in " + receiver.name(),
                "mounted host:" + rw + " at " + rw + " (rw) in " + receiver.name());

        assertThat(receiver.sh("cat " + ro + "/motd").stdout()).isEqualTo("read me");
        ExecResult write = receiver.sh("echo x > " + ro + "/new");
        assertThat(write.exitCode()).isNotZero();
        assertThat(write.stderr()).contains("Read-only file system");
        assertThat(ro.resolve("new")).doesNotExist();
        assertThat(receiver.mountOptions(ro.toString())).contains("ro");

        assertThat(receiver.sh("echo appended >> " + rw + "/log").succeeded()).isTrue();
        assertThat(Files.readString(rw.resolve("log"))).isEqualTo("appended\n");
        assertThat(receiver.mountOptions(rw.toString())).contains("rw");
    }

    @Test
    void everyInjectedMountIsNosuidAndNodev() throws IOException {
        Guest owner = session.container("own", Shell.DASH);
        Guest receiver = session.container("rcv", Shell.BUSYBOX);
        Path host = session.hostDir("f", "x");
        session.castctlOk("publish", host.toString(), "--to", receiver.name() + ":/srv/hostshare");
        ownerHas(owner, "/srv/guestshare", "f", "y");
        owner.sh("/syscmd/cast --ro /srv/guestshare " + receiver.name());

        assertThat(receiver.sh("/syscmd/caston").exitCode()).isZero();

        assertThat(receiver.mountAt("/srv/hostshare")).as(receiver.mountinfo().toString()).isPresent();
        assertThat(receiver.mountOptions("/srv/hostshare")).contains("rw", "nosuid", "nodev");
        assertThat(receiver.mountOptions("/srv/guestshare")).contains("ro", "nosuid", "nodev");
        assertThat(receiver.mountOptions("/.syscmd")).as("the drop directory").contains("rw", "nosuid", "nodev");
        assertThat(receiver.mountOptions("/syscmd")).as("the command directory").contains("ro", "nosuid", "nodev");
    }

    @ParameterizedTest
    @EnumSource(Shell.class)
    void showcastListsActiveMountsAndShowcastAllListsEveryStateInOrder(Shell shell) throws IOException {
        Guest owner = session.container("own", shell);
        Guest me = session.container("me", shell);
        String o = owner.name();
        assertThat(owner.sh("mkdir -p /srv/a /srv/b /srv/d"
                + " && /syscmd/cast /srv/a " + me.name()
                + " && /syscmd/cast --ro /srv/b " + me.name() + ":/opt/b"
                + " && /syscmd/cast /srv/d " + me.name()).exitCode()).isZero();
        assertThat(me.sh("/syscmd/caston " + o + ":/srv/a"
                + " && /syscmd/caston " + o + ":/srv/c"
                + " && /syscmd/castblock /srv/d"
                + " && /syscmd/caston " + o + ":/srv/d").exitCode()).isZero();

        assertThat(me.sh("/syscmd/showcast")).isEqualTo(ok(o + ":/srv/a /srv/a rw"));
        ExecResult all = ok(
                "active " + o + ":/srv/a /srv/a rw",
                "offered " + o + ":/srv/b /opt/b ro",
                "accepted " + o + ":/srv/c /srv/c -",
                "blocked " + o + ":/srv/d /srv/d rw");
        assertThat(me.sh("/syscmd/showcast -a")).isEqualTo(all);
        await("/syscmd/status matches showcast -a").atMost(Guest.SETTLE)
                .until(() -> me.sh("cat /syscmd/status").stdout(), all.stdout()::equals);
        assertThat(owner.sh("/syscmd/showcast")).isEqualTo(ok());
    }

    @Test
    void theDesignNotesHandWrittenRequestMountsThePublishedHostFolder() throws IOException {
        Guest guest = session.container("vz", Shell.BUSYBOX);
        Path portage = session.hostDir("Manifest", "portage tree");
        session.castctlOk("publish", portage.toString(), "--ro", "--to", guest.name() + ":/usr/portage");

        assertThat(guest.sh("echo \"host:" + portage + "\" >> /.syscmd/caston.110").exitCode()).isZero();

        await("reply to caston.110").atMost(Guest.SETTLE)
                .until(() -> guest.sh("cat /syscmd/replies/caston.110").succeeded());
        String reply = guest.sh("cat /syscmd/replies/caston.110").stdout();
        assertThat(reply).startsWith("ok\n").contains("mounted host:" + portage + " at /usr/portage (ro) in " + guest.name());
        assertThat(guest.sh("cat /usr/portage/Manifest").stdout()).isEqualTo("portage tree");
        assertThat(guest.sh("ls /.syscmd").stdout()).as("castd took the request").isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Shell.class)
    void castoffDropsByTargetBySourceOrEverythingAndRefusesWhatIsNotThere(Shell shell) throws IOException {
        Guest owner = session.container("own", shell);
        Guest me = session.container("me", shell);
        String o = owner.name();
        owner.sh("mkdir -p /srv/a /srv/b /srv/c && /syscmd/cast /srv/a " + me.name() + " && /syscmd/cast /srv/b "
                + me.name() + " && /syscmd/cast /srv/c " + me.name() + ":/srv/elsewhere");
        assertThat(me.sh("/syscmd/caston").exitCode()).isZero();
        assertThat(me.sh("/syscmd/showcast").stdout().lines()).hasSize(3);

        assertThat(me.sh("/syscmd/castoff /srv/a")).isEqualTo(ok(
                "dropped " + o + ":/srv/a", "unmounted " + o + ":/srv/a from /srv/a in " + me.name()));
        assertThat(me.isMounted("/srv/a")).isFalse();
        assertThat(me.sh("/syscmd/castoff " + o + ":/srv/c")).isEqualTo(ok(
                "dropped " + o + ":/srv/c", "unmounted " + o + ":/srv/c from /srv/elsewhere in " + me.name()));
        assertThat(me.isMounted("/srv/elsewhere")).isFalse();
        assertThat(me.isMounted("/srv/b")).isTrue();

        assertThat(me.sh("/syscmd/castoff /srv/a")).isEqualTo(refused(1, "castoff: nothing is mounted or accepted at /srv/a"));
        assertThat(me.sh("/syscmd/castoff " + o + ":/srv/a")).isEqualTo(refused(1, "castoff: you have not accepted " + o + ":/srv/a"));

        assertThat(me.sh("/syscmd/castoff")).isEqualTo(ok(
                "dropped " + o + ":/srv/b", "unmounted " + o + ":/srv/b from /srv/b in " + me.name()));
        assertThat(me.isMounted("/srv/b")).isFalse();
        assertThat(me.sh("/syscmd/showcast")).isEqualTo(ok());
        assertThat(me.sh("/syscmd/showcast -a")).isEqualTo(ok(
                "offered " + o + ":/srv/a /srv/a rw", "offered " + o + ":/srv/b /srv/b rw",
                "offered " + o + ":/srv/c /srv/elsewhere rw"));
        assertThat(me.sh("/syscmd/castoff a b").exitCode()).as("usage error").isEqualTo(2);
    }

    @Test
    void ucastUnmountsTheFolderFromEveryReceiver() throws IOException {
        Guest owner = session.container("own", Shell.BUSYBOX);
        Guest first = session.container("rcv", Shell.BUSYBOX);
        Guest second = session.container("rcv", Shell.DASH);
        String source = owner.name() + ":/srv/u";
        ownerHas(owner, "/srv/u", "f", "shared");
        assertThat(owner.sh("/syscmd/cast /srv/u " + first.name() + " && /syscmd/cast --ro /srv/u " + second.name())
                .exitCode()).isZero();
        assertThat(first.sh("/syscmd/caston " + source).exitCode()).isZero();
        assertThat(second.sh("/syscmd/caston " + source).exitCode()).isZero();
        assertThat(first.sh("cat /srv/u/f").stdout()).isEqualTo("shared");
        assertThat(second.sh("cat /srv/u/f").stdout()).isEqualTo("shared");

        assertThat(owner.sh("/syscmd/ucast /srv/u " + first.name())).isEqualTo(ok(
                "withdrew /srv/u from " + first.name(), "unmounted " + source + " from /srv/u in " + first.name()));
        assertThat(first.isMounted("/srv/u")).isFalse();
        assertThat(second.sh("cat /srv/u/f").stdout()).as("only the named receiver loses it").isEqualTo("shared");

        assertThat(owner.sh("/syscmd/cast /srv/u " + first.name()).exitCode()).isZero();
        await("the new offer mounts where it was accepted").atMost(Guest.SETTLE).until(() -> first.isMounted("/srv/u"));
        ExecResult ucast = owner.sh("/syscmd/ucast /srv/u");
        assertThat(ucast.exitCode()).isZero();
        assertThat(ucast.stdout().lines()).containsExactlyInAnyOrder(
                "withdrew /srv/u from " + first.name(), "withdrew /srv/u from " + second.name(),
                "unmounted " + source + " from /srv/u in " + first.name(),
                "unmounted " + source + " from /srv/u in " + second.name());
        assertThat(first.isMounted("/srv/u")).isFalse();
        assertThat(second.isMounted("/srv/u")).isFalse();
        assertThat(first.sh("/syscmd/showcast -a")).as("the consent stays").isEqualTo(ok("accepted " + source + " /srv/u -"));
        assertThat(owner.sh("/syscmd/ucast /srv/u")).isEqualTo(refused(1, "ucast: you have not offered /srv/u"));
    }
}
