package org.phoenixcast.discovery.docker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.phoenixcast.discovery.RuntimeAdapter;

/** Measuring an adapter's wake-ups in the Docker and Podman ITs. */
public final class Wakeups {
    private Wakeups() {}

    /**
     * Starts the adapter's event source and swallows the wake-ups of its open and replay:
     * returns once a 400 ms wait passes with nothing happening (fails after 30 s).
     */
    public static void settle(RuntimeAdapter a) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            long start = System.nanoTime();
            a.awaitChange(Duration.ofMillis(400));
            if (System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(350)) return;
        }
        throw new AssertionError("the adapter kept waking up for 30 s with nothing happening");
    }

    /** awaitChange (at most 30 s) on another thread; completes with the System.nanoTime() of its return. */
    public static CompletableFuture<Long> wakeUp(RuntimeAdapter a) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                a.awaitChange(Duration.ofSeconds(30));
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return System.nanoTime();
        });
    }

    /** True when {@code pid} is PID 1 of its own PID namespace (a container's init, not a shim or conmon). */
    public static boolean isNamespaceInit(int pid) throws IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                .filter(l -> l.startsWith("NSpid:")).findFirst().orElseThrow().trim().endsWith("\t1");
    }

    public static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
