package org.phoenixcast.fuzz;

/**
 * Plain `mvn test` replays the seeds in the JVM it shares with every other test of the module,
 * and Jazzer's agent, once installed, stays there and logs each class it hooks to System.err,
 * which tests that capture stderr (CastctlTest) would read. Replaying needs no hooks, so outside
 * fuzzing (JAZZER_FUZZ unset) hook nothing. Call from {@code @BeforeAll}: it must run before the
 * first fuzz test installs the agent.
 */
final class QuietReplay {
    /** A class pattern that names no class: Jazzer hooks only what matches. */
    private static final String NO_CLASS = "org.phoenixcast.fuzz.QuietReplay$NoSuchClass";

    private QuietReplay() {}

    static void hookNothingUnlessFuzzing() {
        String fuzz = System.getenv("JAZZER_FUZZ");
        if (fuzz == null || fuzz.isEmpty()) System.setProperty("jazzer.custom_hook_includes", NO_CLASS);
    }
}
