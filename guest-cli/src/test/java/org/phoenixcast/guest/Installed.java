package org.phoenixcast.guest;

import static org.assertj.core.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the external programs these tests need. A missing program skips the test on a developer
 * machine, but fails it when {@code CI=true}: in CI a skip would pass off an untested shell as a
 * tested one.
 */
final class Installed {

  private Installed() {}

  /** The program's path on {@code PATH}; skips (locally) or fails (CI) when there is none. */
  static Path require(String program) {
    Optional<Path> found = find(program);
    if (found.isPresent()) {
      return found.get();
    }
    String why = program + " is not installed (not on PATH)";
    if ("true".equals(System.getenv("CI"))) {
      return fail(why + "; CI=true, so this fails instead of skipping");
    }
    Assumptions.abort(why + "; skipped locally, would fail under CI=true");
    throw new AssertionError("unreachable");
  }

  static Optional<Path> find(String program) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    return Stream.of(path.split(":"))
        .filter(dir -> !dir.isEmpty())
        .map(dir -> Path.of(dir, program))
        .filter(Files::isExecutable)
        .findFirst();
  }
}
