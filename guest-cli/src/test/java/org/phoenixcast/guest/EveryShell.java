package org.phoenixcast.guest;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** Crosses a table of cases with every {@link Shell}, so no case is tested under one shell only. */
final class EveryShell {

  private EveryShell() {}

  static Stream<Arguments> times(Stream<?> cases) {
    return cases.flatMap(c -> Arrays.stream(Shell.values()).map(shell -> Arguments.of(shell, c)));
  }
}
