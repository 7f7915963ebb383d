package org.phoenixcast.it.runtimes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.phoenixcast.it.support.CastSession;
import org.phoenixcast.it.support.ExecResult;
import org.phoenixcast.it.support.Guest;
import org.phoenixcast.it.support.RuntimeContainer;
import org.phoenixcast.it.support.RuntimeFixture;
import org.phoenixcast.testing.RequiresRoot;

/**
 * One castd following two runtimes at once: an unprivileged LXC container shares with a runc
 * container, both named alike, so the qualified names (lxc:NAME, runc:NAME) are what the guests
 * use. The share crosses runtimes and user namespaces: the LXC owner's root files show as root
 * in the privileged runc receiver, and the receiver's writes land as the owner's root.
 */
@RequiresRoot(tools = {"lxc-start", "lxc-stop", "lxc-info", "lxc-ls", "lxc-monitor", "runc", "nsenter", "unshare", "umount"})
class CrossRuntimeShareIT {
    private static RuntimeFixture lxc;
    private static RuntimeFixture runc;
    private static CastSession session;

    @BeforeAll
    static void start() throws IOException {
        lxc = LxcFixture.unprivileged();
        runc = RuncFixture.privileged();
        Map<String, String> settings = new HashMap<>(lxc.castdSettings());
        settings.putAll(runc.castdSettings());
        settings.put("runtimes", "lxc, runc");
        settings.put("discover-names", "(?:" + lxc.castdSettings().get("discover-names") + ")|(?:"
                + runc.castdSettings().get("discover-names") + ")");
        session = CastSession.start(settings);
    }

    @AfterAll
    static void stop() throws IOException {
        try {
            if (session != null) session.close();
        } finally {
            for (RuntimeFixture f : List.of(lxc, runc)) if (f != null) f.close();
        }
    }

    private static ExecResult guest(RuntimeContainer c, String command) {
        return c.sh("PATH=/syscmd:$PATH; " + command);
    }

    private static void awaitCommands(RuntimeContainer c) {
        await(c.name() + " gets /syscmd").atMost(Guest.SETTLE).pollInterval(Duration.ofMillis(20))
                .until(() -> c.sh("test -x /syscmd/caston").succeeded());
    }

    @Test
    void anLxcContainerSharesWithARuncContainerOfTheSameNameByQualifiedNames() throws IOException {
        String name = CastSession.uniqueName("twin");
        try (RuntimeContainer owner = lxc.create(name); RuntimeContainer receiver = runc.create(name)) {
            owner.start();
            receiver.start();
            awaitCommands(owner);
            awaitCommands(receiver);
            String list = session.castctlOk("container", "list");
            assertThat(list).as("one is " + name + ", the other runc:" + name + " or lxc:" + name)
                    .containsPattern("(?m)^" + name + " ").containsPattern("(?m)^(lxc|runc):" + name + " ");

            assertThat(owner.sh("mkdir -p /srv/x && echo from-lxc > /srv/x/f").succeeded()).isTrue();
            ExecResult offered = guest(owner, "cast /srv/x runc:" + name + ":/srv/from-lxc");
            assertThat(offered.exitCode()).as(offered.toString()).isZero();
            ExecResult accepted = guest(receiver, "caston lxc:" + name + ":/srv/x");
            assertThat(accepted.exitCode()).as(accepted.toString()).isZero();

            assertThat(receiver.sh("cat /srv/from-lxc/f").stdout()).isEqualTo("from-lxc\n");
            assertThat(receiver.sh("stat -c '%u' /srv/from-lxc/f").stdout()).as("the owner's root shows as root")
                    .isEqualTo("0\n");
            assertThat(receiver.sh("echo from-runc > /srv/from-lxc/g").succeeded()).isTrue();
            assertThat(owner.sh("cat /srv/x/g; stat -c '%u' /srv/x/g").stdout()).isEqualTo("from-runc\n0\n");
            assertThat(guest(receiver, "showcast").stdout()).contains(":/srv/x /srv/from-lxc rw");
        }
    }
}
