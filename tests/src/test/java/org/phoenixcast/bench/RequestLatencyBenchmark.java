package org.phoenixcast.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.phoenixcast.it.support.ExecResult;
import org.phoenixcast.testing.TestMounts;
import org.phoenixcast.it.support.UnshareContainer;

/**
 * Request latency of a real castd as a guest experiences it, against {@code nsenter mount --bind}
 * as a baseline. Not a test: it prints a table. Run it with {@code bin/castbench} as root.
 *
 * <p>Setup: castd from {@code bin/castd} with a fresh state directory, two plain unshare
 * containers A and B (host tools bound read-only, see {@link UnshareContainer}), both registered
 * by PID; A offers {@code /srv/share} to B with its own {@code /syscmd/cast}.
 *
 * <p>Series:
 * <ul>
 *   <li>castd caston: B's request file ({@code .caston.bN.tmp} renamed to {@code caston.bN}, as
 *       the guest script does) until the mount is in B's mountinfo at /srv/share and
 *       {@code /syscmd/replies/caston.bN} exists (also split: until the mount, until the reply);</li>
 *   <li>castd castoff: the same for {@code castoff A:/srv/share} until the mount is gone;</li>
 *   <li>castd caston / castoff read-only: the same for {@code /srv/share-ro}, offered {@code --ro},
 *       so each mount is locked read-only against B's root; measured interleaved with the rw
 *       pairs, so the two see the same machine;</li>
 *   <li>guest caston command: {@code nsenter -m -p -r -w /syscmd/caston A:/srv/share} until it
 *       exits and the mount is visible (process start, sh, and the script's 50 ms reply poll);</li>
 *   <li>nsenter mount --bind / umount: {@code nsenter -t B -m mount --bind} of a folder inside B,
 *       until it exits and the mount is visible (and the reverse).</li>
 * </ul>
 * Everything (castd, containers, host mounts, the temp directory) is removed on exit, also on
 * Ctrl-C (a shutdown hook runs the same cleanup).
 */
public final class RequestLatencyBenchmark {
    private static final String SHARE = "/srv/share";
    /** Offered read-only: its mounts go through castd's read-only lock (see ReadOnlyLock). */
    private static final String SHARE_RO = "/srv/share-ro";
    private static final String BASE_SOURCE = "/srv/base-src";
    private static final String BASE_TARGET = "/srv/base-target";
    private static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /** The guest script gives up after 10 s; a request that slow is a failure, not a sample. */
    private static final long STEP_TIMEOUT_MILLIS = 10_000;
    /** castd attaches /syscmd on its next worker round after `container add`; 30 s bounds a stuck one. */
    private static final long ATTACH_TIMEOUT_MILLIS = 30_000;

    private final Options options;
    private final AtomicBoolean cleanedUp = new AtomicBoolean();
    private volatile boolean stopping;
    // volatile: the shutdown hook's thread cleans up what the main thread has started so far
    private volatile Path workDir;
    private volatile CastdUnderTest castd;
    private volatile UnshareContainer ctA;
    private volatile UnshareContainer ctB;

    private RequestLatencyBenchmark(Options options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("castbench: " + e.getMessage());
            System.err.println(Options.USAGE);
            System.exit(2);
            return;
        }
        if (options == null) {
            System.out.println(Options.USAGE);
            return;
        }
        RequestLatencyBenchmark bench = new RequestLatencyBenchmark(options);
        Thread hook = new Thread(() -> {
            bench.stopping = true;
            bench.cleanUp();
        }, "castbench-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        int exit = 0;
        try {
            bench.run();
        } catch (Exception | Error e) {
            if (!bench.stopping) {
                System.err.println("castbench: " + e);
                if (bench.castd != null) System.err.println("castd log (tail):\n" + bench.castd.logTail());
                exit = 1;
            }
        } finally {
            bench.cleanUp();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook runs (or ran) the same idempotent cleanup
            }
        }
        System.exit(exit);
    }

    private void run() throws Exception {
        workDir = Files.createTempDirectory("castbench-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        log("work dir %s; kernel %s; java %s; %d cpus; load average %s", workDir, System.getProperty("os.version"),
                System.getProperty("java.version"), Runtime.getRuntime().availableProcessors(), loadAverage());

        castd = CastdUnderTest.start(options.repo, workDir, options.config,
                options.castdLog != null ? options.castdLog : workDir.resolve("castd.log"));
        ctA = UnshareContainer.start(UnshareContainer.Rootfs.HOST_TOOLS, "A");
        ctB = UnshareContainer.start(UnshareContainer.Rootfs.HOST_TOOLS, "B");
        Files.createDirectories(ctA.root().resolve(SHARE.substring(1)));
        Files.writeString(ctA.root().resolve(SHARE.substring(1)).resolve("hello"), "from A\n");
        Files.createDirectories(ctA.root().resolve(SHARE_RO.substring(1)));
        Files.createDirectories(ctB.root().resolve(BASE_SOURCE.substring(1)));
        Files.createDirectories(ctB.root().resolve(BASE_TARGET.substring(1)));
        castd.castctl("container", "add", "A", "--pid", Integer.toString(ctA.pid()));
        castd.castctl("container", "add", "B", "--pid", Integer.toString(ctB.pid()));
        GuestProbe a = new GuestProbe(ctA.pid());
        GuestProbe b = new GuestProbe(ctB.pid());
        GuestProbe.await("castd to attach /syscmd in A and B", () -> Files.exists(a.path("/syscmd/cast")),
                () -> Files.exists(b.path("/syscmd/caston")), TimeUnit.MILLISECONDS.toNanos(20), ATTACH_TIMEOUT_MILLIS);
        ExecResult offer = ctA.exec("/syscmd/cast", SHARE, "B");
        if (!offer.succeeded()) throw new IllegalStateException("A could not offer " + SHARE + ": " + offer);
        log("A (pid %d) offers %s to B (pid %d): %s", ctA.pid(), SHARE, ctB.pid(), offer.stdout().strip());
        ExecResult offerRo = ctA.exec("/syscmd/cast", "--ro", SHARE_RO, "B");
        if (!offerRo.succeeded()) throw new IllegalStateException("A could not offer " + SHARE_RO + ": " + offerRo);

        LatencySeries caston = new LatencySeries("castd caston: request -> mounted + reply");
        LatencySeries castonMount = new LatencySeries("  of which: request -> mount visible");
        LatencySeries castonReply = new LatencySeries("  of which: request -> reply present");
        LatencySeries castoff = new LatencySeries("castd castoff: request -> unmounted + reply");
        LatencySeries castonRo = new LatencySeries("castd caston --ro (locked): -> mounted + reply");
        LatencySeries castoffRo = new LatencySeries("castd castoff of the ro share");
        LatencySeries command = new LatencySeries("guest `caston A:/srv/share` via nsenter");
        LatencySeries mount = new LatencySeries("baseline nsenter -m mount --bind");
        LatencySeries umount = new LatencySeries("baseline nsenter -m umount");

        log("warm-up: %d caston/castoff pairs", options.warmup);
        LatencySeries discard = new LatencySeries("warm-up");
        for (int i = 0; i < options.warmup && !stopping; i++) {
            request(b, "caston.w" + i, "A:" + SHARE, SHARE, true);
            request(b, "castoff.w" + i, "A:" + SHARE, SHARE, false);
            request(b, "caston.wr" + i, "A:" + SHARE_RO, SHARE_RO, true);
            request(b, "castoff.wr" + i, "A:" + SHARE_RO, SHARE_RO, false);
        }
        if (stopping) return;
        log("measuring %d caston/castoff pairs", options.requests);
        for (int i = 0; i < options.requests && !stopping; i++) {
            long start = System.nanoTime();
            GuestProbe.Seen on = request(b, "caston.b" + i, "A:" + SHARE, SHARE, true);
            caston.record(on.both() - start);
            castonMount.record(on.first() - start);
            castonReply.record(on.second() - start);
            start = System.nanoTime();
            castoff.record(request(b, "castoff.b" + i, "A:" + SHARE, SHARE, false).both() - start);
            start = System.nanoTime();
            castonRo.record(request(b, "caston.r" + i, "A:" + SHARE_RO, SHARE_RO, true).both() - start);
            start = System.nanoTime();
            castoffRo.record(request(b, "castoff.r" + i, "A:" + SHARE_RO, SHARE_RO, false).both() - start);
        }
        if (stopping) return;
        log("measuring %d guest caston commands", options.commandRuns);
        for (int i = 0; i < options.commandRuns && !stopping; i++) guestCommand(b, "c" + i, command);
        if (stopping) return;
        log("baseline: %d warm-up, then %d nsenter mount/umount pairs", options.warmup, options.requests);
        for (int i = 0; i < options.warmup && !stopping; i++) nsenterRoundTrip(b, discard, discard);
        for (int i = 0; i < options.requests && !stopping; i++) nsenterRoundTrip(b, mount, umount);
        if (stopping) return;

        System.out.println();
        if (options.requests < Options.MIN_REQUESTS) {
            System.out.println("(smoke run: fewer than " + Options.MIN_REQUESTS + " requests; do not quote these figures)");
        }
        System.out.print(LatencySeries.table(List.of(caston, castonMount, castonReply, castoff, castonRo, castoffRo, command,
                mount, umount)));
        System.out.println();
        System.out.printf(Locale.ROOT, "ratio p50(castd caston) / p50(nsenter mount --bind)  = %.2f%n",
                (double) caston.percentile(50) / mount.percentile(50));
        System.out.printf(Locale.ROOT, "ratio p50(castd caston --ro locked) / p50(castd caston rw) = %.2f%n",
                (double) castonRo.percentile(50) / caston.percentile(50));
        System.out.printf(Locale.ROOT, "ratio p50(castd castoff) / p50(nsenter umount)       = %.2f%n",
                (double) castoff.percentile(50) / umount.percentile(50));
        System.out.printf(Locale.ROOT, "ratio p50(guest caston command) / p50(castd caston)  = %.2f%n",
                (double) command.percentile(50) / caston.percentile(50));
        System.out.printf(Locale.ROOT, "poll interval %d us; %d warm-up pairs per kind not counted; load average now %s%n",
                options.pollMicros, options.warmup, loadAverage());
    }

    /** The host's 1/5/15-minute load averages: other work on the machine skews every series. */
    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /**
     * Sends request {@code name} into B's drop directory and waits until {@code target} is (or, with
     * {@code mounted} false, is no longer) a mount point in B and the reply is there; fails
     * unless the reply says ok. Returns when each was first seen; start the clock before calling.
     */
    private GuestProbe.Seen request(GuestProbe b, String name, String line, String target, boolean mounted)
            throws IOException {
        b.sendRequest(name, line);
        GuestProbe.Seen seen = GuestProbe.await(name + (mounted ? " to mount " : " to unmount ") + target + " in B",
                () -> b.isMountPoint(target) == mounted, () -> b.hasReply(name), pollNanos(), STEP_TIMEOUT_MILLIS);
        String reply = b.reply(name);
        if (reply == null || !reply.startsWith("ok")) throw new IllegalStateException(name + " answered: " + reply);
        forgetReply(name);
        return seen;
    }

    /**
     * Removes a reply already read, from castd's host side of B's /syscmd (B cannot: it is
     * read-only there). The /syscmd tmpfs holds 2,048 inodes and castd does not expire replies
     * yet, so a long run would otherwise fill it.
     */
    private void forgetReply(String name) throws IOException {
        Files.deleteIfExists(castd.hostReplies("B").resolve(name));
    }

    /** The full guest command, process start included; castoff afterwards is a plain request (not timed). */
    private void guestCommand(GuestProbe b, String tag, LatencySeries series) throws IOException {
        Path err = workDir.resolve("command.err");
        ProcessBuilder pb = new ProcessBuilder("nsenter", "-t", Integer.toString(b.pid()), "-m", "-p", "-r", "-w",
                "/syscmd/caston", "A:" + SHARE)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.to(err.toFile()));
        pb.environment().clear();
        pb.environment().put("PATH", PATH);
        long start = System.nanoTime();
        Process p = pb.start();
        long end = GuestProbe.await("guest caston to exit with the mount visible", () -> !p.isAlive(),
                () -> b.isMountPoint(SHARE), pollNanos(), STEP_TIMEOUT_MILLIS).both();
        if (p.exitValue() != 0) {
            throw new IllegalStateException("guest caston exited " + p.exitValue() + ": " + Files.readString(err));
        }
        series.record(end - start);
        request(b, "castoff." + tag, "A:" + SHARE, SHARE, false);
        // The script's own reply (caston.PID-TIME-UUID) stays; at 50 runs that is well within the tmpfs.
    }

    private void nsenterRoundTrip(GuestProbe b, LatencySeries on, LatencySeries off) throws IOException {
        on.record(nsenter(b, true, "mount", "--bind", BASE_SOURCE, BASE_TARGET));
        off.record(nsenter(b, false, "umount", BASE_TARGET));
    }

    /** {@code nsenter -t B -m CMD...} until it exits 0 and BASE_TARGET is (or is no longer) a mount point. */
    private long nsenter(GuestProbe b, boolean mounted, String... command) throws IOException {
        List<String> argv = new ArrayList<>(List.of("nsenter", "-t", Integer.toString(b.pid()), "-m"));
        argv.addAll(List.of(command));
        Path err = workDir.resolve("nsenter.err");
        ProcessBuilder pb = new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.to(err.toFile()));
        pb.environment().clear();
        pb.environment().put("PATH", PATH);
        long start = System.nanoTime();
        Process p = pb.start();
        long end = GuestProbe.await(String.join(" ", argv), () -> !p.isAlive(),
                () -> b.isMountPoint(BASE_TARGET) == mounted, pollNanos(), STEP_TIMEOUT_MILLIS).both();
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " exited " + p.exitValue() + ": " + Files.readString(err));
        }
        return end - start;
    }

    private long pollNanos() {
        return TimeUnit.MICROSECONDS.toNanos(options.pollMicros);
    }

    /**
     * Stops castd, kills the containers (their mount namespaces, and every mount in them, go with
     * them), detaches the guest tmpfs mounts castd left on the host under the state directory,
     * deletes the work directory and kills any child still running. Idempotent; runs from
     * {@code main}'s finally and from the shutdown hook on Ctrl-C.
     */
    private void cleanUp() {
        if (!cleanedUp.compareAndSet(false, true)) return;
        if (castd != null) attempt("stop castd", castd::close);
        if (ctB != null) attempt("remove container B", ctB::close);
        if (ctA != null) attempt("remove container A", ctA::close);
        // Whatever is still running was started here: a castd or container still starting when
        // Ctrl-C came, an nsenter in flight. Gone before the mounts are detached.
        attempt("stop remaining child processes", () -> ProcessHandle.current().descendants().forEach(p -> {
            p.destroyForcibly();
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("castbench: cleanup: process " + p.pid() + " did not exit: " + e);
            }
        }));
        Path dir = workDir;
        if (dir != null) {
            attempt("detach mounts under " + dir, () -> TestMounts.detachAllBeneath(dir));
            attempt("delete " + dir, () -> TestMounts.deleteTree(dir));
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void attempt(String what, Step step) {
        try {
            step.run();
        } catch (Exception | Error e) {
            System.err.println("castbench: cleanup: could not " + what + ": " + e);
        }
    }

    private static void log(String format, Object... args) {
        System.out.printf(Locale.ROOT, "# " + format + "%n", args);
    }

    /** Command-line options; {@link #parse} returns null for --help. */
    record Options(int requests, int commandRuns, int warmup, long pollMicros, Path repo, Path config, Path castdLog) {
        static final int MIN_REQUESTS = 500;
        static final String USAGE = """
                usage: castbench [--requests N] [--command-runs N] [--warmup N] [--poll-us US] [--repo DIR] [--config FILE]
                                 [--castd-log FILE]
                  --requests N      caston/castoff and nsenter pairs to time (default 500; < 500 is a smoke run)
                  --command-runs N  full guest `caston` commands to time (default 50)
                  --warmup N        untimed pairs before each kind (default 20)
                  --poll-us US      poll interval while waiting (default 50; 0 spins)
                  --repo DIR        checkout with bin/castd and bin/castctl (default: system property
                                    phoenixcast.repo, else the current directory)
                  --config FILE     castd.conf for castd (default: none, castd's defaults)
                  --castd-log FILE  append castd's log there and keep it (default: the temp dir, deleted)
                Needs root, unshare and nsenter.""";

        static Options parse(String[] args) {
            int requests = MIN_REQUESTS;
            int commandRuns = 50;
            int warmup = 20;
            long pollMicros = 50;
            Path repo = Path.of(System.getProperty("phoenixcast.repo", "."));
            Path config = null;
            Path castdLog = null;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("-h") || a.equals("--help")) return null;
                if (i + 1 >= args.length) throw new IllegalArgumentException("unknown option or missing value: " + a);
                String v = args[++i];
                switch (a) {
                    case "--requests" -> requests = positive(a, v);
                    case "--command-runs" -> commandRuns = positive(a, v);
                    case "--warmup" -> warmup = (int) nonNegative(a, v);
                    case "--poll-us" -> pollMicros = nonNegative(a, v);
                    case "--repo" -> repo = Path.of(v);
                    case "--config" -> config = Path.of(v).toAbsolutePath();
                    case "--castd-log" -> castdLog = Path.of(v).toAbsolutePath();
                    default -> throw new IllegalArgumentException("unknown option: " + a);
                }
            }
            repo = repo.toAbsolutePath().normalize();
            if (!Files.isExecutable(repo.resolve("bin/castd"))) {
                throw new IllegalArgumentException("no bin/castd in " + repo + " (use --repo)");
            }
            return new Options(requests, commandRuns, warmup, pollMicros, repo, config, castdLog);
        }

        private static int positive(String option, String value) {
            long n = nonNegative(option, value);
            if (n == 0 || n > Integer.MAX_VALUE) throw new IllegalArgumentException(option + " must be a positive integer, not '" + value + "'");
            return (int) n;
        }

        private static long nonNegative(String option, String value) {
            try {
                long n = Long.parseLong(value);
                if (n < 0) throw new NumberFormatException();
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " must be a non-negative integer, not '" + value + "'");
            }
        }
    }
}
