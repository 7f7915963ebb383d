package org.phoenixcast.guest;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The script is POSIX sh as shellcheck sees it; a finding of any severity fails the build. */
class ShellcheckTest {

  @TempDir Path dir;

  @Test
  void scriptIsCleanUnderShellcheckForPosixSh() throws Exception {
    Path shellcheck = Installed.require("shellcheck");
    Path script = Files.write(dir.resolve("phoenix-cast"), Guest.script());
    Path report = dir.resolve("shellcheck.txt");

    Process process =
        new ProcessBuilder(shellcheck.toString(), "-s", "sh", "-S", "style", script.toString())
            .redirectErrorStream(true)
            .redirectOutput(report.toFile())
            .start();

    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("shellcheck finished").isTrue();
    assertThat(Files.readString(report, UTF_8)).isEmpty();
    assertThat(process.exitValue()).isZero();
  }

  @Test
  void scriptStartsWithThePosixShebang() throws Exception {
    assertThat(new String(Guest.script(), UTF_8)).startsWith("#!/bin/sh\n");
  }
}
