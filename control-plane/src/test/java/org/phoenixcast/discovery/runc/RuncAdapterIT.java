package org.phoenixcast.discovery.runc;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 * The runc adapter against real runc containers (busybox rootfs, private --root): the reported
 * PID is the container's PID 1, a start and a stop wake awaitChange promptly, and a stopped
 * container leaves the listing. Prints the measured latencies and the cost of one list().
 */
@RequiresRoot(tools = {"runc", "busybox", "chown"})
class RuncAdapterIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CMD = Duration.ofSeconds(30);
    /** Far beyond an event's latency: a wait that ends early was woken by an event. */
    private static final Duration WAIT = Duration.ofSeconds(30);

    enum Mode { PRIVILEGED, USER_NAMESPACED }

    @TempDir
    Path tmp;
    private Path root;
    private RuncAdapter adapter;
    private final List<String> ids = new ArrayList<>();

    @BeforeEach
    void setUp() {
        root = tmp.resolve("runc-root");
        adapter = new RuncAdapter(root);
    }

    @AfterEach
    void cleanUp() {
        adapter.close();
        for (String id : ids) {
            try {
                BusyboxTree.run(CMD, "runc", "--root", root.toString(), "delete", "-f", id);
            } catch (IOException e) {
                // never created, or already deleted
            }
        }
        BusyboxTree.deleteQuietly(tmp.resolve("bundles"));
    }

    /** An OCI bundle from `runc spec` on a busybox rootfs, console-less, running /sbin/init. */
    private Path bundle(String id, Mode mode) throws IOException {
        Path bundle = Files.createDirectories(tmp.resolve("bundles").resolve(id));
        for (Path p : List.of(tmp, tmp.resolve("bundles"), bundle)) { // the container's root (uid 100000) must reach its rootfs
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        BusyboxTree.build(bundle.resolve("rootfs"), mode == Mode.USER_NAMESPACED ? 100000 : 0);
        BusyboxTree.run(CMD, "runc", "spec", "--bundle", bundle.toString());
        ObjectNode config = (ObjectNode) JSON.readTree(bundle.resolve("config.json").toFile());
        ObjectNode process = (ObjectNode) config.get("process");
        process.put("terminal", false);
        process.putArray("args").add("/sbin/init");
        ((ObjectNode) config.get("root")).put("readonly", false);
        if (mode == Mode.USER_NAMESPACED) {
            ObjectNode linux = (ObjectNode) config.get("linux");
            ((ArrayNode) linux.get("namespaces")).addObject().put("type", "user");
            for (String maps : List.of("uidMappings", "gidMappings")) {
                linux.putArray(maps).addObject().put("containerID", 0).put("hostID", 100000).put("size", 65536);
            }
        }
        JSON.writerWithDefaultPrettyPrinter().writeValue(bundle.resolve("config.json").toFile(), config);
        return bundle;
    }

    private void runc(String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of("runc", "--root", root.toString()));
        argv.addAll(Arrays.asList(args));
        BusyboxTree.run(CMD, argv.toArray(String[]::new));
    }

    private int runcPid(String id) throws IOException {
        String state = BusyboxTree.run(CMD, "runc", "--root", root.toString(), "state", id);
        return JSON.readTree(state.substring(state.indexOf('{'))).get("pid").asInt();
    }

    /** Lists, then waits for changes, until the listing satisfies {@code done}; returns nanoTime then. */
    private long listUntil(Predicate<List<DiscoveredContainer>> done) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            List<DiscoveredContainer> now = adapter.list();
            if (done.test(now)) return System.nanoTime();
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new AssertionError("still " + now + " after " + WAIT);
            adapter.awaitChange(Duration.ofNanos(left));
        }
    }

    /** Runs listUntil on another thread (the loop thread's role) and lets it block first. */
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

    private static Predicate<List<DiscoveredContainer>> has(String id) {
        return l -> l.stream().anyMatch(c -> c.name().equals(id));
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void reportsTheInitOfARunningContainerAndSeesStartAndStopPromptly(Mode mode) throws Exception {
        String id = "ct-" + mode.name().toLowerCase().replace('_', '-');
        Path bundle = bundle(id, mode);
        assertThat(adapter.list()).isEmpty();

        CompletableFuture<Long> listed = inBackground(has(id));
        ids.add(id);
        long invoked = System.nanoTime();
        runc("run", "-d", "--bundle", bundle.toString(), id);
        long returned = System.nanoTime();
        long seen = listed.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        int pid = runcPid(id);
        DiscoveredContainer c = adapter.list().stream().filter(x -> x.name().equals(id)).findFirst().orElseThrow();
        assertThat(c.runtime()).isEqualTo("runc");
        assertThat(c.pid()).isEqualTo(pid);
        assertThat(c.startTime()).hasValue(ProcessStat.read(pid).orElseThrow().startTime());
        String status = Files.readString(Path.of("/proc", Integer.toString(pid), "status"));
        assertThat(status).containsPattern("(?m)^NSpid:\\s+" + pid + "\\s+1$"); // PID 1 inside
        if (mode == Mode.USER_NAMESPACED) {
            assertThat(Files.readString(Path.of("/proc", Integer.toString(pid), "uid_map")).trim()).matches("0\\s+100000\\s+65536");
        }

        // stop without delete: state.json stays, only the init's pidfd can tell
        CompletableFuture<Long> gone = inBackground(l -> l.isEmpty());
        long killed = System.nanoTime();
        runc("kill", id, "KILL");
        long goneAt = gone.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(Files.exists(root.resolve(id).resolve("state.json"))).isTrue();

        runc("delete", id);
        assertThat(adapter.list()).isEmpty();

        System.out.printf("runc %s: run -d took %.1f ms; listed %.1f ms after `runc run` was invoked (%.1f ms after it"
                        + " returned); gone from the listing %.1f ms after `runc kill` was invoked%n", mode,
                ms(returned - invoked), ms(seen - invoked), ms(seen - returned), ms(goneAt - killed));
        assertThat(ms(seen - returned)).as("start seen within 1 s").isLessThan(1000);
        assertThat(ms(goneAt - killed)).as("stop seen within 1 s").isLessThan(1000);
    }

    @Test
    void aCreatedContainerIsReportedOnlyOnceStarted() throws Exception {
        Path bundle = bundle("ct-created", Mode.PRIVILEGED);
        ids.add("ct-created");
        runc("create", "--bundle", bundle.toString(), "ct-created");
        assertThat(Files.exists(root.resolve("ct-created/exec.fifo"))).isTrue();
        assertThat(adapter.list()).isEmpty();

        CompletableFuture<Long> listed = inBackground(has("ct-created"));
        long invoked = System.nanoTime();
        runc("start", "ct-created");
        long seen = listed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(adapter.list()).singleElement().satisfies(c -> assertThat(c.pid()).isEqualTo(runcPid("ct-created")));
        System.out.printf("runc create+start: listed %.1f ms after `runc start` was invoked%n", ms(seen - invoked));
        assertThat(ms(seen - invoked)).isLessThan(1000);
    }

    @Test
    void aDeletedContainerLeavesAndOneRunAgainUnderTheSameIdComesBack() throws Exception {
        Path bundle = bundle("ct-again", Mode.PRIVILEGED);
        ids.add("ct-again");
        runc("run", "-d", "--bundle", bundle.toString(), "ct-again");
        listUntil(has("ct-again"));
        int first = runcPid("ct-again");

        CompletableFuture<Long> gone = inBackground(List::isEmpty);
        runc("delete", "-f", "ct-again");
        gone.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        CompletableFuture<Long> back = inBackground(has("ct-again"));
        long invoked = System.nanoTime();
        runc("run", "-d", "--bundle", bundle.toString(), "ct-again");
        long seen = back.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        int second = runcPid("ct-again");
        assertThat(second).isNotEqualTo(first);
        assertThat(adapter.list()).singleElement().satisfies(c -> assertThat(c.pid()).isEqualTo(second));
        System.out.printf("runc restart under the same id: listed %.1f ms after `runc run` was invoked%n", ms(seen - invoked));
    }

    @Test
    void measuresTheCostOfOneListing() throws Exception {
        for (String id : List.of("ct-a", "ct-b", "ct-c")) {
            Path bundle = bundle(id, Mode.PRIVILEGED);
            ids.add(id);
            runc("run", "-d", "--bundle", bundle.toString(), id);
        }
        listUntil(l -> l.size() == 3);
        for (int i = 0; i < 200; i++) adapter.list(); // warm up
        long[] cost = new long[500];
        for (int i = 0; i < cost.length; i++) {
            long t0 = System.nanoTime();
            assertThat(adapter.list()).hasSize(3);
            cost[i] = System.nanoTime() - t0;
        }
        Arrays.sort(cost);
        System.out.printf("runc list() with 3 containers: median %.3f ms, p99 %.3f ms%n", ms(cost[cost.length / 2]),
                ms(cost[cost.length * 99 / 100]));
    }
}
