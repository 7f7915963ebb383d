package org.phoenixcast.guest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The shells a guest may have as /bin/sh; every test runs the script under each of them. */
enum Shell {
  BUSYBOX_SH("busybox", "sh"),
  DASH("dash"),
  BASH("bash");

  private final String program;
  private final List<String> programArgs;

  Shell(String program, String... programArgs) {
    this.program = program;
    this.programArgs = List.of(programArgs);
  }

  /** The command line that runs {@code script} with {@code args} under this shell. */
  List<String> command(Path script, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Installed.require(program).toString());
    command.addAll(programArgs);
    command.add(script.toString());
    command.addAll(args);
    return command;
  }

  /**
   * Fills {@code bin} with exactly {@code tools}: busybox applets under busybox sh (a busybox-only
   * guest has nothing else), the host's own programs (coreutils) under dash and bash.
   */
  void linkTools(Path bin, List<String> tools) throws IOException {
    Path busybox = this == BUSYBOX_SH ? Installed.require("busybox") : null;
    for (String tool : tools) {
      Path target =
          busybox != null
              ? busybox
              : Installed.find(tool)
                  .orElseThrow(() -> new IllegalStateException(tool + " is not on PATH"));
      Files.createSymbolicLink(bin.resolve(tool), target);
    }
  }
}
