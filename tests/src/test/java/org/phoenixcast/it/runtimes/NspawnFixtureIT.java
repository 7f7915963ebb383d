package org.phoenixcast.it.runtimes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.phoenixcast.it.support.ExecResult;
import org.phoenixcast.it.support.RuntimeContainer;
import org.phoenixcast.testing.RequiresRoot;

/** The nspawn fixture itself: start, exec, stop, restart, cleanup, privileged and -U. */
@RequiresRoot(tools = {"systemd-nspawn", "busybox", "nsenter"})
class NspawnFixtureIT {

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void startsExecsStopsAndRestartsOneContainerAndLeavesNothingBehind(boolean userNamespaced) throws Exception {
        String machine;
        Path rootfs;
        int pid;
        try (NspawnFixture nspawn = userNamespaced ? NspawnFixture.withUserNamespace() : NspawnFixture.privileged()) {
            RuntimeContainer c = nspawn.create("web");
            machine = c.name();
            rootfs = c.hostRootfs();
            assertThat(machine).isEqualTo(nspawn.prefix() + "web").matches(nspawn.castdSettings().get("discover-names"));
            assertThat(nspawn.castdSettings()).containsEntry("runtimes", "nspawn");

            long t0 = System.nanoTime();
            c.start();
            long started = System.nanoTime() - t0;
            pid = c.pid();
            assertThat(Files.readString(Path.of("/proc", Integer.toString(pid), "status")))
                    .as("the container's PID 1, not nspawn").containsPattern("(?m)^NSpid:\\s+" + pid + "\\s+1$");
            assertThat(NspawnFixture.STATE_DIR.resolve("propagate").resolve(machine)).isDirectory();
            String uidMap = Files.readString(Path.of("/proc", Integer.toString(pid), "uid_map")).trim();
            if (userNamespaced) assertThat(uidMap).matches("0\\s+[1-9][0-9]*\\s+65536");
            else assertThat(uidMap).matches("0\\s+0\\s+4294967295");

            ExecResult r = c.sh("echo $(id -u) $(hostname); cat /proc/1/cmdline | tr '\\0' ' '; echo hi > /root/made-inside");
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.stdout()).startsWith("0 " + machine + "\n").contains("/sbin/init");
            Path made = rootfs.resolve("root/made-inside");
            assertThat(made).hasContent("hi");
            // -U maps the rootfs with an idmapped mount: the guest's root writes as host uid 0
            assertThat(Files.getAttribute(made, "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(0);

            t0 = System.nanoTime();
            c.stop();
            long stopped = System.nanoTime() - t0;
            assertThat(RuncFixture.exited(pid)).isTrue();
            assertThatThrownBy(c::pid).isInstanceOf(IllegalStateException.class);
            assertThat(NspawnFixture.STATE_DIR.resolve("propagate").resolve(machine)).doesNotExist();

            c.start();
            assertThat(c.pid()).isNotEqualTo(pid);
            pid = c.pid();
            System.out.printf("NspawnFixture %s: start %.1f ms, stop %.1f ms%n", userNamespaced ? "-U" : "privileged",
                    started / 1e6, stopped / 1e6);
        }
        assertThat(RuncFixture.exited(pid)).as("close stops the container").isTrue();
        assertThat(NspawnFixture.STATE_DIR.resolve("propagate").resolve(machine)).doesNotExist();
        assertThat(rootfs).doesNotExist();
    }
}
