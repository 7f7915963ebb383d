package org.phoenixcast.discovery.nspawn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** /proc files recorded from systemd-nspawn 252 running `-U --register=no --keep-unit` on Debian 12. */
class NspawnProcessesTest {

    static byte[] recorded(String name) {
        try {
            return Files.readAllBytes(Path.of(NspawnProcessesTest.class.getResource(name).toURI()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void readsTheRecordedNspawnCommandLine() {
        List<String> argv = NspawnProcesses.argv(recorded("proc-cmdline-nspawn.bin"));
        assertThat(argv).startsWith("systemd-nspawn", "--register=no", "--keep-unit", "-U");
        assertThat(NspawnCommandLine.machineName(argv, "/").machine()).contains("rec1");
    }

    @Test
    void readsUidAndNamespacePidsFromRecordedStatus() {
        String nspawn = new String(recorded("proc-status-nspawn.txt"));
        String init = new String(recorded("proc-status-init-private-users.txt"));
        assertThat(NspawnProcesses.effectiveUid(nspawn)).isZero();
        assertThat(NspawnProcesses.namespacePids(nspawn)).containsExactly(6544);
        assertThat(NspawnProcesses.effectiveUid(init)).isEqualTo(84213760);
        assertThat(NspawnProcesses.namespacePids(init)).containsExactly(6548, 1);
    }

    @Test
    void refusesStatusWithoutTheLines() {
        assertThatThrownBy(() -> NspawnProcesses.effectiveUid("Name:\tx\n")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NspawnProcesses.namespacePids("Name:\tx\n")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void recognisesTheNspawnBinaryAlsoAfterAnUpgrade() {
        assertThat(NspawnProcesses.isNspawnBinary("/usr/bin/systemd-nspawn")).isTrue();
        assertThat(NspawnProcesses.isNspawnBinary("/usr/bin/systemd-nspawn (deleted)")).isTrue();
        assertThat(NspawnProcesses.isNspawnBinary("/usr/bin/systemd-nspawnx")).isFalse();
        assertThat(NspawnProcesses.isNspawnBinary("/bin/busybox")).isFalse();
    }

    @Test
    void splitsCmdlineAtNuls() {
        assertThat(NspawnProcesses.argv("a\0b c\0\0d\0".getBytes())).containsExactly("a", "b c", "", "d");
        assertThat(NspawnProcesses.argv("a\0b".getBytes())).containsExactly("a", "b");
    }

    @Test
    void findsNoNspawnWhenNoneRuns() throws Exception {
        // the test JVM is not nspawn: whatever runs on the machine, find() never returns the JVM
        assertThat(NspawnProcesses.find()).noneMatch(n -> n.pid() == ProcessHandle.current().pid());
    }
}
