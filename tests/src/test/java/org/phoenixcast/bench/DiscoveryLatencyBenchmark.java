package org.phoenixcast.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.phoenixcast.it.runtimes.RuntimeFixtures;
import org.phoenixcast.it.support.CastdProcess;
import org.phoenixcast.it.support.RuntimeContainer;
import org.phoenixcast.it.support.RuntimeFixture;

/**
 * How long after a container starts castd has set it up, per runtime: a real castd following
 * the runtime (castd.conf from the runtime's test fixture, nothing registered), containers
 * started with the runtime's own tool, and the time until {@code /syscmd/caston} is present in
 * the container. Not a test: it prints a table. Run it with {@code bin/castbench discovery
 * [RUNTIME...] [--rounds N]} as root.
 *
 * <p>Series per runtime: the runtime's own start (tool invoked → tool returned: the baseline),
 * start invoked → /syscmd present (what an admin sees), and start returned → /syscmd present
 * (castd's own part, negative when castd was done before the tool returned). Containers are
 * stopped and removed between rounds; fixtures and castd are closed on exit.
 */
public final class DiscoveryLatencyBenchmark {
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private DiscoveryLatencyBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rounds = 10;
        List<String> runtimes = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--rounds") && i + 1 < args.length) {
                rounds = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--help")) {
                System.out.println("usage: castbench discovery [RUNTIME...] [--rounds N]; runtimes: "
                        + String.join(" ", RuntimeFixtures.NAMES));
                return;
            } else {
                runtimes.add(args[i]);
            }
        }
        if (runtimes.isEmpty()) runtimes.addAll(RuntimeFixtures.NAMES);
        Map<String, List<LatencySeries>> results = new LinkedHashMap<>();
        for (String runtime : runtimes) {
            System.err.printf("castbench: %s: %d rounds%n", runtime, rounds);
            results.put(runtime, measure(runtime, rounds));
        }
        System.out.println();
        System.out.printf("discovery latency, %d rounds per runtime; load average now %s%n", rounds, loadAverage());
        for (var e : results.entrySet()) {
            List<LatencySeries> s = e.getValue();
            System.out.println();
            System.out.println("== " + e.getKey());
            System.out.print(LatencySeries.table(s));
            System.out.printf(Locale.ROOT, "ratio p50(start invoked -> /syscmd) / p50(runtime start) = %.2f%n",
                    (double) s.get(1).percentile(50) / s.get(0).percentile(50));
        }
    }

    private static List<LatencySeries> measure(String runtime, int rounds) throws Exception {
        LatencySeries start = new LatencySeries(runtime + ": runtime start (baseline)");
        LatencySeries total = new LatencySeries(runtime + ": start invoked -> /syscmd");
        LatencySeries after = new LatencySeries(runtime + ": start returned -> /syscmd");
        try (RuntimeFixture fixture = RuntimeFixtures.open(runtime);
             CastdProcess castd = CastdProcess.start(fixture.castdSettings(), null)) {
            for (int i = 0; i < rounds + 1; i++) {
                try (RuntimeContainer c = fixture.create("bench" + ProcessHandle.current().pid() + "x" + i)) {
                    long t0 = System.nanoTime();
                    c.start();
                    long t1 = System.nanoTime();
                    Path caston = Path.of("/proc", Integer.toString(c.pid()), "root", "syscmd", "caston");
                    long t2 = awaitFile(caston, t0);
                    if (i == 0) continue; // warm-up: the first container also warms castd's code paths
                    start.record(t1 - t0);
                    total.record(t2 - t0);
                    after.record(Math.max(0, t2 - t1));
                }
            }
        }
        return List.of(start, total, after);
    }

    /** Polls (benchmark only, from the host) until {@code file} exists; returns when it was first seen. */
    private static long awaitFile(Path file, long since) throws IOException {
        while (true) {
            long now = System.nanoTime();
            if (Files.exists(file)) return now;
            if (now - since > TIMEOUT_NANOS) throw new IOException(file + " did not appear within 30 s");
            java.util.concurrent.locks.LockSupport.parkNanos(POLL_NANOS);
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
