package org.phoenixcast.it.runtimes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.phoenixcast.it.support.ExecResult;
import org.phoenixcast.it.support.RuntimeContainer;
import org.phoenixcast.testing.RequiresRoot;

/** The runc fixture itself: start, exec, stop, restart, cleanup, privileged and user-namespaced. */
@RequiresRoot(tools = {"runc", "busybox", "nsenter", "chown"})
class RuncFixtureIT {

    private static RuncFixture fixture(boolean userNamespaced) throws IOException {
        return userNamespaced ? RuncFixture.withUserNamespace() : RuncFixture.privileged();
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void startsExecsStopsAndRestartsOneContainerAndLeavesNothingBehind(boolean userNamespaced) throws Exception {
        Path state;
        int pid;
        try (RuncFixture runc = fixture(userNamespaced)) {
            state = runc.stateDirectory();
            assertThat(runc.castdSettings()).containsEntry("runtimes", "runc").containsEntry("runc.root", state.toString());
            RuntimeContainer c = runc.create("web");
            assertThat(c.name()).isEqualTo("web");
            assertThat(c.userNamespaced()).isEqualTo(userNamespaced);

            long t0 = System.nanoTime();
            c.start();
            long started = System.nanoTime() - t0;
            pid = c.pid();
            String status = Files.readString(Path.of("/proc", Integer.toString(pid), "status"));
            assertThat(status).as("the container's PID 1").containsPattern("(?m)^NSpid:\\s+" + pid + "\\s+1$");
            String uidMap = Files.readString(Path.of("/proc", Integer.toString(pid), "uid_map")).trim();
            if (userNamespaced) assertThat(uidMap).matches("0\\s+100000\\s+65536");
            else assertThat(uidMap).matches("0\\s+0\\s+4294967295");

            ExecResult r = c.sh("echo $(id -u) $(hostname); cat /proc/1/cmdline | tr '\\0' ' '; echo hi > /root/made-inside");
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.stdout()).startsWith("0 web\n").contains("/sbin/init");
            Path made = c.hostRootfs().resolve("root/made-inside");
            assertThat(made).hasContent("hi");
            assertThat(Files.getAttribute(made, "unix:uid", LinkOption.NOFOLLOW_LINKS)).isEqualTo(userNamespaced ? 100000 : 0);

            t0 = System.nanoTime();
            c.stop();
            long stopped = System.nanoTime() - t0;
            assertThat(RuncFixture.exited(pid)).isTrue();
            assertThatThrownBy(c::pid).isInstanceOf(IllegalStateException.class);

            c.start();
            assertThat(c.pid()).isNotEqualTo(pid);
            pid = c.pid();
            System.out.printf("RuncFixture %s: start %.1f ms, stop %.1f ms%n", userNamespaced ? "user-namespaced" : "privileged",
                    started / 1e6, stopped / 1e6);
        }
        assertThat(RuncFixture.exited(pid)).as("close stops the container").isTrue();
        assertThat(state.getParent()).doesNotExist();
    }
}
