package org.phoenixcast.discovery.nspawn;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.phoenixcast.discovery.BusyboxTree;
import org.phoenixcast.discovery.DiscoveredContainer;
import org.phoenixcast.linux.ProcessStat;
import org.phoenixcast.testing.RequiresRoot;

/**
 * The nspawn adapter against real systemd-nspawn containers ({@code --register=no --keep-unit},
 * no systemd as PID 1): the reported PID is the container's PID 1 (nspawn's child, not nspawn),
 * a start and a stop wake awaitChange promptly. nspawn's state directory cannot be private, so
 * every assertion looks only at this test's uniquely named machines.
 */
@RequiresRoot(tools = {"systemd-nspawn", "busybox"})
class NspawnAdapterIT {
    private static final Path STATE_DIR = Path.of("/run/systemd/nspawn");
    private static final Duration WAIT = Duration.ofSeconds(30);

    enum Mode {
        PRIVILEGED(List.of()),
        PRIVATE_USERS(List.of("-U")),
        AS_PID2(List.of("--as-pid2"));

        final List<String> options;

        Mode(List<String> options) {
            this.options = options;
        }
    }

    /** One nspawn started by the test. */
    private record Machine(String name, Path rootfs, Process nspawn) {}

    @TempDir
    Path tmp;
    private NspawnAdapter adapter;
    private final List<Machine> machines = new ArrayList<>();
    private final List<Integer> inits = new ArrayList<>();
    private final String prefix = "pc-it-" + ProcessHandle.current().pid() + "-";

    @BeforeEach
    void setUp() {
        adapter = new NspawnAdapter(STATE_DIR);
    }

    @AfterEach
    void cleanUp() throws Exception {
        adapter.close();
        for (Machine m : machines) {
            m.nspawn().destroy(); // SIGTERM: nspawn kills its container and cleans up
            if (!m.nspawn().waitFor(10, TimeUnit.SECONDS)) m.nspawn().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            removeStaleState(m);
        }
        for (int pid : inits) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // orphans of a killed nspawn
        BusyboxTree.deleteQuietly(tmp.resolve("machines"));
    }

    /** What a SIGKILLed nspawn leaves: its propagate directory and its lock file. */
    private static void removeStaleState(Machine m) {
        BusyboxTree.deleteQuietly(STATE_DIR.resolve("propagate").resolve(m.name()));
        try {
            long dev = ((Number) Files.getAttribute(m.rootfs(), "unix:dev")).longValue();
            long ino = ((Number) Files.getAttribute(m.rootfs(), "unix:ino")).longValue();
            Files.deleteIfExists(STATE_DIR.resolve("locks").resolve("inode-" + dev + ":" + ino));
        } catch (IOException | RuntimeException e) {
            // already gone
        }
    }

    private Path rootfs(String name) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("machines").resolve(name));
        return BusyboxTree.build(dir, 0);
    }

    /** Starts nspawn in the background as the brief's recipe does; output goes to a log file. */
    private Machine start(String name, Mode mode, boolean withMachineName) throws IOException {
        Path rootfs = rootfs(name);
        List<String> argv = new ArrayList<>(List.of("systemd-nspawn", "--register=no", "--keep-unit", "-q"));
        argv.addAll(mode.options);
        argv.addAll(List.of("-D", rootfs.toString()));
        if (withMachineName) argv.addAll(List.of("-M", name));
        argv.add("/sbin/init");
        Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(tmp.resolve(name + ".log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        Machine m = new Machine(name, rootfs, p);
        machines.add(m);
        return m;
    }

    private List<DiscoveredContainer> ours() throws IOException {
        return adapter.list().stream().filter(c -> c.name().startsWith(prefix)).toList();
    }

    private long listUntil(Predicate<List<DiscoveredContainer>> done) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            List<DiscoveredContainer> now = ours();
            if (done.test(now)) return System.nanoTime();
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new AssertionError("still " + now + " after " + WAIT);
            adapter.awaitChange(Duration.ofNanos(left));
        }
    }

    private CompletableFuture<Long> inBackground(Predicate<List<DiscoveredContainer>> done) throws Exception {
        CompletableFuture<Long> f = CompletableFuture.supplyAsync(() -> {
            try {
                return listUntil(done);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(200);
        assertThat(f).as("the wait blocks until something happens").isNotDone();
        return f;
    }

    private static Predicate<List<DiscoveredContainer>> has(String name) {
        return l -> l.stream().anyMatch(c -> c.name().equals(name));
    }

    private static Optional<DiscoveredContainer> find(List<DiscoveredContainer> l, String name) {
        return l.stream().filter(c -> c.name().equals(name)).findFirst();
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    /**
     * When the container's init starts to run, as the adapter defines it, found by the test
     * spinning on /proc every 0.5 ms (the adapter itself does not poll like this).
     */
    private static CompletableFuture<Long> whenReady(Machine m) {
        int pid = Math.toIntExact(m.nspawn().pid());
        return CompletableFuture.supplyAsync(() -> {
            NspawnProcesses.Nspawn n = new NspawnProcesses.Nspawn(pid, 0, 0, "/usr/bin/systemd-nspawn", List.of(), "/");
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                try {
                    if (NspawnProcesses.initOf(n).isPresent()) return System.nanoTime();
                    Thread.sleep(0, 500_000);
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
            throw new IllegalStateException("never ready");
        });
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void reportsTheContainersPid1AndSeesStartAndStopPromptly(Mode mode) throws Exception {
        String name = prefix + mode.name().toLowerCase().replace('_', '-');
        ours(); // arm
        CompletableFuture<Long> listed = inBackground(has(name));
        long invoked = System.nanoTime();
        Machine m = start(name, mode, true);
        CompletableFuture<Long> ready = whenReady(m);
        long seen = listed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        long readyAt = ready.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        DiscoveredContainer c = find(ours(), name).orElseThrow();
        inits.add(c.pid());
        assertThat(c.runtime()).isEqualTo("nspawn");
        assertThat(NspawnProcesses.children(Math.toIntExact(m.nspawn().pid()))).as("nspawn's child, not nspawn").contains(c.pid());
        String status = Files.readString(Path.of("/proc", Integer.toString(c.pid()), "status"));
        assertThat(NspawnProcesses.namespacePids(status)).endsWith(1);
        assertThat(c.startTime()).hasValue(ProcessStat.read(c.pid()).orElseThrow().startTime());
        String uidMap = Files.readString(Path.of("/proc", Integer.toString(c.pid()), "uid_map")).trim();
        if (mode == Mode.PRIVATE_USERS) assertThat(uidMap).matches("0\\s+[1-9][0-9]*\\s+65536");
        else assertThat(uidMap).matches("0\\s+0\\s+4294967295");
        if (mode == Mode.AS_PID2) assertThat(ProcessStat.read(c.pid()).orElseThrow().comm()).isEqualTo(NspawnProcesses.STUB_INIT);

        CompletableFuture<Long> gone = inBackground(l -> find(l, name).isEmpty());
        long stopped = System.nanoTime();
        m.nspawn().destroy(); // SIGTERM
        long goneAt = gone.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(m.nspawn().waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(STATE_DIR.resolve("propagate").resolve(name)).doesNotExist();

        System.out.printf("nspawn %s: listed %.1f ms after systemd-nspawn was started, %.1f ms after the container's init"
                + " ran (exec, or the stub's rename); gone from the listing %.1f ms after SIGTERM to nspawn%n", mode,
                ms(seen - invoked), ms(seen - readyAt), ms(goneAt - stopped));
        assertThat(ms(seen - invoked)).as("start seen within 1 s").isLessThan(1000);
        assertThat(ms(goneAt - stopped)).as("stop seen within 1 s").isLessThan(1000);
    }

    @Test
    void findsAMachineStartedWithoutMByItsDirectoryName() throws Exception {
        String name = prefix + "dir-named";
        ours();
        CompletableFuture<Long> listed = inBackground(has(name));
        start(name, Mode.PRIVILEGED, false);
        listed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        inits.add(find(ours(), name).orElseThrow().pid());
    }

    @Test
    void anInitOrphanedByAKilledNspawnIsNoLongerReported() throws Exception {
        String name = prefix + "orphan";
        Machine m = start(name, Mode.PRIVILEGED, true);
        listUntil(has(name));
        int init = find(ours(), name).orElseThrow().pid();
        inits.add(init);

        CompletableFuture<Long> gone = inBackground(l -> find(l, name).isEmpty());
        long killed = System.nanoTime();
        m.nspawn().destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: nspawn cleans nothing up
        long goneAt = gone.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        System.out.printf("nspawn SIGKILLed: its machine left the listing %.1f ms later%n", ms(goneAt - killed));
        assertThat(ms(goneAt - killed)).as("nspawn's exit is followed by a pidfd").isLessThan(1000);
        assertThat(STATE_DIR.resolve("propagate").resolve(name)).as("left behind").exists();
        assertThat(ProcessHandle.of(init)).as("the container's init survives its nspawn").isPresent();
        // a stale propagate entry makes the adapter re-list briefly, then wait quietly
        long t0 = System.nanoTime();
        int listings = 0;
        while (System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(3)) {
            ours();
            listings++;
            adapter.awaitChange(Duration.ofSeconds(3));
        }
        System.out.printf("nspawn stale propagate entry: %d listings in 3 s%n", listings);
        assertThat(listings).isLessThan(20);
    }

    @Test
    void measuresTheCostOfOneListing() throws Exception {
        for (String n : List.of("cost-a", "cost-b")) start(prefix + n, Mode.PRIVILEGED, true);
        listUntil(l -> l.size() == 2);
        ours().forEach(c -> inits.add(c.pid()));
        int processes = (int) Arrays.stream(new File("/proc").list()).filter(s -> s.matches("[0-9]+")).count();
        for (int i = 0; i < 100; i++) adapter.list();
        long[] cost = new long[300];
        for (int i = 0; i < cost.length; i++) {
            long t0 = System.nanoTime();
            adapter.list();
            cost[i] = System.nanoTime() - t0;
        }
        Arrays.sort(cost);
        System.out.printf("nspawn list() with 2 machines and %d host processes: median %.3f ms, p99 %.3f ms%n", processes,
                ms(cost[cost.length / 2]), ms(cost[cost.length * 99 / 100]));
    }
}
