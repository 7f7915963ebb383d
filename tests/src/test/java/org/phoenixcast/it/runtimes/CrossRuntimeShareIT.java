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
 * One castd following three runtimes at once. An unprivileged LXC container shares with a runc
 * container, both named alike, so the qualified names (lxc:NAME, runc:NAME) are what the guests
 * use; the share crosses runtimes and user namespaces: the LXC owner's root files show as root
 * in the privileged runc receiver, and the receiver's writes land as the owner's root. And, the
 * issue's example, an LXC container offers and a Docker container accepts.
 */
@RequiresRoot(tools = {"lxc-start", "lxc-stop", "lxc-info", "lxc-ls", "lxc-monitor", "runc", "dockerd", "containerd",
        "nsenter", "unshare", "umount"})
class CrossRuntimeShareIT {
    private static RuntimeFixture lxc;
    private static RuntimeFixture runc;
    private static RuntimeFixture docker;
    private static CastSession session;

    @BeforeAll
    static void start() throws IOException {
        lxc = LxcFixture.unprivileged();
        runc = RuncFixture.privileged();
        docker = DockerFixture.start();
        Map<String, String> settings = new HashMap<>();
        StringBuilder names = new StringBuilder();
        for (RuntimeFixture f : List.of(lxc, runc, docker)) {
            settings.putAll(f.castdSettings());
            names.append(names.length() == 0 ? "" : "|").append("(?:").append(f.castdSettings().get("discover-names")).append(')');
        }
        settings.put("runtimes", "lxc, docker, runc");
        settings.put("discover-names", names.toString());
        session = CastSession.start(settings);
    }

    @AfterAll
    static void stop() throws IOException {
        try {
            if (session != null) session.close();
        } finally {
            for (RuntimeFixture f : java.util.Arrays.asList(lxc, runc, docker)) if (f != null) f.close();
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

    @Test
    void anLxcContainerOffersAndADockerContainerAccepts() throws IOException {
        try (RuntimeContainer owner = lxc.create(CastSession.uniqueName("lxo"));
             RuntimeContainer receiver = docker.create(CastSession.uniqueName("dkr"))) {
            owner.start();
            receiver.start();
            awaitCommands(owner);
            awaitCommands(receiver);
            assertThat(owner.sh("mkdir -p /srv/data && echo shared > /srv/data/f").succeeded()).isTrue();
            ExecResult offered = guest(owner, "cast --ro /srv/data " + receiver.name());
            assertThat(offered.exitCode()).as(offered.toString()).isZero();
            ExecResult accepted = guest(receiver, "caston " + owner.name() + ":/srv/data");
            assertThat(accepted.exitCode()).as(accepted.toString()).isZero();
            assertThat(receiver.sh("cat /srv/data/f").stdout()).isEqualTo("shared\n");
            assertThat(receiver.sh("mount -o remount,bind,rw /srv/data").succeeded()).as("ro holds in Docker").isFalse();
            assertThat(receiver.sh("echo x > /srv/data/g").succeeded()).isFalse();
        }
    }
}
