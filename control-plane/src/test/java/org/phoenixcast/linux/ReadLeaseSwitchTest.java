package org.phoenixcast.linux;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** castd refuses to start where leases are switched off: it would serve no request at all. */
class ReadLeaseSwitchTest {
    @TempDir Path dir;

    @Test
    void refusesToStartWhenLeasesAreSwitchedOffAndNamesTheSwitch() throws Exception {
        Path off = Files.writeString(dir.resolve("leases-enable"), "0\n");
        assertThatThrownBy(() -> ReadLease.requireLeasesEnabled(off))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("fs.leases-enable = 0")
                .hasMessageNotContaining("\n");
    }

    @Test
    void startsWhenLeasesAreOnOrTheKernelHasNoSwitch() throws Exception {
        Path on = Files.writeString(dir.resolve("leases-enable"), "1\n");
        assertThatCode(() -> ReadLease.requireLeasesEnabled(on)).doesNotThrowAnyException();
        assertThatCode(() -> ReadLease.requireLeasesEnabled(dir.resolve("absent"))).doesNotThrowAnyException();
        assertThatCode(ReadLease::requireLeasesEnabled).as("this host").doesNotThrowAnyException();
    }
}
