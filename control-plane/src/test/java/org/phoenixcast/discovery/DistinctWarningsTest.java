package org.phoenixcast.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

class DistinctWarningsTest {
    private final List<String> lines = new ArrayList<>();
    /** Records warn(format, args...) calls; nothing else is used. */
    private final Logger log = (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class},
            (proxy, method, args) -> {
                if (method.getName().equals("warn")) lines.add(args[1] + " " + args[2]);
                return null;
            });

    @Test
    void logsEachDistinctMessageOnce() {
        DistinctWarnings w = new DistinctWarnings(log, "docker");
        w.warn("a");
        w.warn("b");
        w.warn("a");
        assertThat(lines).containsExactly("docker a", "docker b");
    }

    @Test
    void forgetsAllOnceTheBoundIsReached() {
        DistinctWarnings w = new DistinctWarnings(log, "podman");
        for (int i = 0; i < DistinctWarnings.MAX_REMEMBERED; i++) w.warn("m" + i);
        w.warn("m0");
        w.warn("m0");
        assertThat(lines).hasSize(DistinctWarnings.MAX_REMEMBERED + 1).endsWith("podman m0");
    }
}
