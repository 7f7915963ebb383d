package org.phoenixcast.it.runtimes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.LinkOption;
import org.junit.jupiter.api.Test;
import org.phoenixcast.it.support.ExecResult;
import org.phoenixcast.it.support.Guest;
import org.phoenixcast.it.support.RuntimeContainer;

/**
 * The runtime contract plus idmapped shares, for runtimes whose containers have their own user
 * namespace. The rule castd follows: a file its owner sees as uid N shows as uid N in the
 * receiver, and the receiver's writes land as the owner would have written them.
 */
abstract class UserNamespacedContract extends RuntimeContract {

    private static int[] hostOwner(Path file) throws IOException {
        return new int[] {(Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS),
                (Integer) Files.getAttribute(file, "unix:gid", LinkOption.NOFOLLOW_LINKS)};
    }

    @Test
    void aHostFolderShowsItsOwnersInsideAndTheContainersWritesLandAsTheHostsIds() throws IOException {
        RuntimeContainer c = started("idh");
        assertThat(c.userNamespaced()).isTrue();
        Path dir = session.hostDir("owned-by-1234", "x");
        Files.setAttribute(dir.resolve("owned-by-1234"), "unix:uid", 1234);
        Files.setAttribute(dir.resolve("owned-by-1234"), "unix:gid", 1234);
        session.castctlOk("publish", dir.toString(), "--to", c.name() + ":/srv/h");
        awaitCommands(c);
        ExecResult got = guest(c, "caston host:" + dir);
        assertThat(got.exitCode()).as(got.toString()).isZero();

        assertThat(c.sh("stat -c '%u %g' /srv/h/owned-by-1234").stdout()).isEqualTo("1234 1234\n");
        assertThat(c.sh("stat -c '%u %g' /srv/h").stdout()).as("host root shows as the container's root").isEqualTo("0 0\n");
        ExecResult write = c.sh("echo from-root > /srv/h/new && echo x > /srv/h/new2 && chown 1234:1234 /srv/h/new2");
        assertThat(write.succeeded()).as(write.toString()).isTrue();
        assertThat(hostOwner(dir.resolve("new"))).containsExactly(0, 0);
        assertThat(hostOwner(dir.resolve("new2"))).containsExactly(1234, 1234);
    }

    @Test
    void aContainersShareShowsItsOwnersToAPrivilegedReceiverAndBack() throws IOException {
        RuntimeContainer c = started("ido");
        Guest peer = session.sandbox("idp");
        awaitCommands(c);
        assertThat(c.sh("mkdir -p /srv/o && echo mine > /srv/o/f && chown 0:0 /srv/o/f").succeeded()).isTrue();
        assertThat(guest(c, "cast /srv/o " + peer.name()).exitCode()).isZero();
        ExecResult got = peer.sh("/syscmd/caston " + c.name() + ":/srv/o");
        assertThat(got.exitCode()).as(got.toString()).isZero();

        assertThat(peer.sh("stat -c '%u %g' /srv/o/f").stdout()).as("the owner's root file shows as root")
                .isEqualTo("0 0\n");
        assertThat(peer.sh("echo back > /srv/o/g").succeeded()).isTrue();
        assertThat(c.sh("stat -c '%u %g' /srv/o/g").stdout()).as("the receiver's write lands as the owner's root")
                .isEqualTo("0 0\n");
    }
}
