package org.phoenixcast.discovery.lxc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.phoenixcast.config.RuntimeConfig;

/** The adapter where LXC is not installed or has no lxcpath: no containers, a quiet wait, no child. */
class LxcAdapterTest {
    @TempDir
    Path tmp;

    private LxcAdapter adapter(Path lxcpath) throws IOException {
        Path noTools = Files.createDirectories(tmp.resolve("no-tools"));
        RuntimeConfig config = new RuntimeConfig(List.of("lxc"), Map.of("lxc.lxcpath", lxcpath.toString()), ".*",
                Duration.ofSeconds(60));
        return new LxcAdapter(config, new LxcTools(List.of(noTools)));
    }

    @Test
    void listsNothingAndWaitsQuietlyWhenLxcIsNotInstalled() throws Exception {
        Path lxcpath = tmp.resolve("lxc");
        Files.createDirectories(lxcpath.resolve("web"));
        Files.writeString(lxcpath.resolve("web/config"), "lxc.uts.name = web\n");
        try (LxcAdapter a = adapter(lxcpath)) {
            assertThat(a.runtime()).isEqualTo("lxc");
            assertThat(a.list()).isEmpty();
            assertThat(a.list()).isEmpty();
            long start = System.nanoTime();
            a.awaitChange(Duration.ofMillis(300));
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(299L);
            assertThat(a.monitor().starts()).isZero();
        }
    }

    @Test
    void listsNothingWhenTheLxcpathIsMissing() throws Exception {
        try (LxcAdapter a = adapter(tmp.resolve("does-not-exist"))) {
            assertThat(a.list()).isEmpty();
        }
    }

    @Test
    void closeWakesAWaiter() throws Exception {
        LxcAdapter a = adapter(tmp.resolve("lxc"));
        Thread waiter = new Thread(() -> {
            try {
                a.awaitChange(Duration.ofSeconds(30));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        waiter.start();
        long start = System.nanoTime();
        a.close();
        waiter.join(5_000);
        assertThat(waiter.isAlive()).isFalse();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(2_000L);
    }
}
