package org.phoenixcast.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kernel settings read whole: the integer handlers give EOF at any offset but 0. */
class SysctlTest {
    /** An integer setting with several digits on every kernel (at least 301 by its range). */
    private static final Path PID_MAX = Path.of("/proc/sys/kernel/pid_max");

    @Test
    void readsAnIntegerSettingWholeAsCatDoes() throws Exception {
        Process cat = new ProcessBuilder("cat", PID_MAX.toString()).start();
        String byCat = new String(cat.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
        assertThat(cat.waitFor()).isZero();
        assertThat(byCat).as("kernel.pid_max by cat").hasSizeGreaterThan(1);
        assertThat(Sysctl.read(PID_MAX)).isEqualTo(byCat);
    }

    @Test
    void readsAPlainFileWithoutItsNewline(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("setting"), "16384\n");
        assertThat(Sysctl.read(file)).isEqualTo("16384");
    }
}
