package org.phoenixcast.discovery.podman;

import static org.assertj.core.api.Assertions.assertThat;
import static org.phoenixcast.discovery.docker.Wakeups.isNamespaceInit;
import static org.phoenixcast.discovery.docker.Wakeups.ms;
import static org.phoenixcast.discovery.docker.Wakeups.settle;
import static org.phoenixcast.discovery.docker.Wakeups.wakeUp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.phoenixcast.config.RuntimeConfig;
import org.phoenixcast.discovery.DiscoveredContainer;
import org.phoenixcast.discovery.docker.TestHost;
import org.phoenixcast.linux.ProcessStat;
import org.phoenixcast.testing.RequiresRoot;

/**
 * The Podman adapter against real root Podman on private storage ({@link PrivatePodman}, busybox
 * rootfs via --rootfs): the right init PID (also in a user namespace), prompt wake-ups after a
 * start and a stop (measured times printed), a stopped container gone from the list, and the
 * {@code podman events} child gone after close(). Containers, mounts and directories are removed
 * in @AfterEach/@AfterAll.
 */
@RequiresRoot(tools = {"podman", "conmon", "runc", "umount", "chown"})
class PodmanAdapterIT {
    /** A start is served within 1 s; the wake-up must be well below that. */
    private static final Duration PROMPT = Duration.ofMillis(1000);
    private static PrivatePodman podman;
    private static Path rootfs;
    private static Path userRootfs;
    private final List<String> containers = new ArrayList<>();
    private PodmanAdapter adapter;

    @BeforeAll
    static void createStorage() throws IOException {
        podman = PrivatePodman.create();
        rootfs = TestHost.busyboxRootfs(podman.dir().resolve("rootfs"), 0);
        userRootfs = TestHost.busyboxRootfs(podman.dir().resolve("rootfs-userns"), PrivatePodman.USERNS_BASE);
        System.out.printf("podman: %s, events backend '%s'%n", podman.podmanOk("--version"),
                podman.podmanOk("info", "--format", "{{.Host.EventLogger}}"));
    }

    @AfterAll
    static void removeStorage() {
        if (podman != null) podman.close();
    }

    @AfterEach
    void removeContainers() {
        if (adapter != null) adapter.close();
        for (String c : containers) podman.podman("rm", "--force", "--time", "0", c);
        containers.clear();
    }

    /** An adapter configured as castd.conf would: podman.root and podman.runroot only. */
    private static PodmanAdapter adapter() {
        return new PodmanAdapter(new RuntimeConfig(List.of("podman"), Map.of("podman.root", podman.root().toString(),
                "podman.runroot", podman.runroot().toString()), ".*", Duration.ofSeconds(60)));
    }

    private String create(String name, boolean userNamespaced) {
        podman.create(name, userNamespaced ? userRootfs : rootfs, userNamespaced);
        containers.add(name);
        return name;
    }

    @Test
    void reportsTheInitOfAStartedContainerAndNoticesStartsAndStopsAtOnce() throws Exception {
        adapter = adapter();
        assertThat(adapter.list()).isEmpty();
        settle(adapter);
        String name = create("pcit-web", false);
        long start = System.nanoTime();
        adapter.awaitChange(Duration.ofMillis(500));
        assertThat(ms(System.nanoTime() - start)).as("podman create is no start: no wake-up").isGreaterThanOrEqualTo(450);

        CompletableFuture<Long> woke = wakeUp(adapter);
        long cmd = System.nanoTime();
        podman.podmanOk("start", name);
        long cmdDone = System.nanoTime();
        long wokeAt = woke.get(10, TimeUnit.SECONDS);
        int pid = podman.pid(name);
        long initStarted = TestHost.startedAtNanoTime(pid);
        System.out.printf("podman start: init started -> awaitChange returned %d ms (±10 ms); podman start command "
                + "took %d ms, returned %d ms after the wake-up%n", ms(wokeAt - initStarted), ms(cmdDone - cmd),
                ms(cmdDone - wokeAt));
        assertThat(Duration.ofNanos(wokeAt - initStarted)).isLessThan(PROMPT);

        assertThat(adapter.list()).containsExactly(new DiscoveredContainer("podman", name, pid,
                OptionalLong.of(ProcessStat.read(pid).orElseThrow().startTime())));
        assertThat(isNamespaceInit(pid)).as("PID 1 of the container, not conmon").isTrue();
        String id = podman.podmanOk("inspect", "-f", "{{.Id}}", name);
        assertThat(Path.of("/run/runc", id, "state.json"))
                .as("podman's runc keeps its state in runc's default root, where castd's runc adapter looks too")
                .exists();

        woke = wakeUp(adapter);
        cmd = System.nanoTime();
        podman.podmanOk("stop", "--time", "5", name);
        cmdDone = System.nanoTime();
        wokeAt = woke.get(10, TimeUnit.SECONDS);
        System.out.printf("podman stop: command -> awaitChange returned %d ms; podman stop command took %d ms%n",
                ms(wokeAt - cmd), ms(cmdDone - cmd));
        assertThat(adapter.list()).isEmpty();

        woke = wakeUp(adapter);
        podman.podmanOk("start", name);
        woke.get(10, TimeUnit.SECONDS);
        int again = podman.pid(name);
        assertThat(again).isNotEqualTo(pid);
        assertThat(adapter.list()).extracting(DiscoveredContainer::pid).containsExactly(again);
    }

    @Test
    void reportsAUserNamespacedContainersInit() throws Exception {
        adapter = adapter();
        String name = create("pcit-userns", true);
        podman.podmanOk("start", name);
        int pid = podman.pid(name);
        assertThat(adapter.list()).extracting(DiscoveredContainer::name, DiscoveredContainer::pid)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(name, pid));
        assertThat(Files.readString(Path.of("/proc/" + pid + "/uid_map")).trim().split("\\s+"))
                .containsExactly("0", "100000", "65536");
        assertThat(isNamespaceInit(pid)).isTrue();
    }

    @Test
    void listsRunningAndPausedContainersOnlyAndMeasuresTheCost() throws Exception {
        adapter = adapter();
        List<String> running = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String n = create("pcit-n" + i, false);
            podman.podmanOk("start", n);
            running.add(n);
        }
        create("pcit-created", false);
        podman.podmanOk("pause", "pcit-n4");
        List<DiscoveredContainer> first = adapter.list();
        int rounds = 10;
        long t = System.nanoTime();
        for (int i = 0; i < rounds; i++) assertThat(adapter.list()).isEqualTo(first);
        System.out.printf("podman list(): %d containers, %.1f ms per podman ps%n", first.size(),
                (System.nanoTime() - t) / 1e6 / rounds);
        assertThat(first).extracting(DiscoveredContainer::name).containsExactlyInAnyOrderElementsOf(running);
        for (DiscoveredContainer c : first) assertThat(c.pid()).isEqualTo(podman.pid(c.name()));
        podman.podmanOk("unpause", "pcit-n4");
    }

    @Test
    void closeEndsThePodmanEventsChild() throws Exception {
        adapter = adapter();
        settle(adapter);
        List<ProcessHandle> children = ProcessHandle.current().descendants()
                .filter(h -> h.info().arguments().map(a -> List.of(a).contains("events")).orElse(false)).toList();
        assertThat(children).as("one podman events child").hasSize(1);
        adapter.close();
        assertThat(children.get(0).isAlive()).isFalse();
    }
}
