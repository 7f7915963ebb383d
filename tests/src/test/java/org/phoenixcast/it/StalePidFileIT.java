package org.phoenixcast.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.phoenixcast.it.support.CastdJson;
import org.phoenixcast.it.support.CastdProcess;
import org.phoenixcast.it.support.UnshareContainer;
import org.phoenixcast.testing.RequiresRoot;

/**
 * A PID file that outlived its container and now names another process: castd must never treat
 * a host process as a guest (that would mount /.syscmd and shares into the host's namespace),
 * nor give one container's drop directory to another container.
 */
@RequiresRoot(tools = {"unshare", "nsenter", "busybox"})
class StalePidFileIT {
    private CastdProcess castd;
    private Process hostProcess;
    private UnshareContainer other;

    @BeforeEach
    void start() throws Exception {
        castd = CastdProcess.start();
        hostProcess = new ProcessBuilder("sleep", "600").start();
        other = UnshareContainer.withBusybox();
    }

    @AfterEach
    void stop() throws Exception {
        if (hostProcess != null) hostProcess.destroyForcibly();
        if (other != null) other.close();
        if (castd != null) castd.close();
    }

    @Test
    void refusesAPidFileNamingAHostProcess() throws Exception {
        Path pidFile = castd.stateDir().resolveSibling("ghost.pid");
        Files.writeString(pidFile, hostProcess.pid() + "\n");
        castd.castctlOk("container", "add", "ghost", "--pidfile", pidFile.toString());

        await().atMost(Duration.ofSeconds(20)).until(() -> castd.log().contains("container=ghost PID " + hostProcess.pid() + " refused"));
        assertThat(castd.log()).contains("runs in the host's mount namespace");
        assertThat(stateOf("ghost")).isEqualTo("stopped");
        assertThat(Path.of("/.syscmd")).doesNotExist();
        assertThat(Path.of("/syscmd")).doesNotExist();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(" /.syscmd ").doesNotContain(" /syscmd ");
    }

    @Test
    void refusesToRegisterAHostProcessByPid() {
        var result = castd.castctl("container", "add", "ghost", "--pid", Long.toString(hostProcess.pid()));
        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.stderr().strip()).isEqualTo("castctl: PID " + hostProcess.pid() + " runs in the host's mount namespace: not a container");
    }

    @Test
    void refusesAPidFileNamingAnotherRegisteredContainersProcess() throws Exception {
        castd.castctlOk("container", "add", "real", "--pid", Integer.toString(other.pid()));
        await().atMost(Duration.ofSeconds(20)).until(() -> "running".equals(stateOf("real")));
        Path pidFile = castd.stateDir().resolveSibling("impostor.pid");
        Files.writeString(pidFile, other.pid() + "\n");
        castd.castctlOk("container", "add", "impostor", "--pidfile", pidFile.toString());

        await().atMost(Duration.ofSeconds(20)).until(() -> castd.log().contains("container=impostor PID " + other.pid() + " refused"));
        assertThat(castd.log()).contains("its mount namespace belongs to container real");
        assertThat(stateOf("impostor")).isEqualTo("stopped");
        assertThat(stateOf("real")).isEqualTo("running");
    }

    private String stateOf(String name) {
        for (JsonNode c : CastdJson.status(castd).get("containers")) {
            if (c.get("name").asText().equals(name)) return c.get("state").asText();
        }
        return "absent";
    }
}
