package org.phoenixcast.discovery.docker;

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
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.phoenixcast.discovery.DiscoveredContainer;
import org.phoenixcast.linux.ProcessStat;
import org.phoenixcast.testing.RequiresRoot;
import org.phoenixcast.testing.TestMounts;

/**
 * The Docker adapter against a real dockerd of the test's own ({@link PrivateDockerd}, busybox
 * image imported offline): the right init PID, prompt wake-ups after a start and a stop (the
 * measured times are printed), a stopped container gone from the list, and a dockerd restart
 * followed. Every container, the daemon, its mounts and directory go in @AfterEach/@AfterAll.
 */
@RequiresRoot(tools = {"dockerd", "containerd", "runc", "tar", "umount"})
class DockerAdapterIT {
    private static final String IMAGE = "phoenix-busybox:it";
    /** A start is served within 1 s; the wake-up must be well below that. */
    private static final Duration PROMPT = Duration.ofMillis(1000);
    private static PrivateDockerd dockerd;
    private final List<String> containers = new ArrayList<>();
    private DockerAdapter adapter;

    @BeforeAll
    static void startDockerd() throws IOException {
        long t0 = System.nanoTime();
        dockerd = PrivateDockerd.start();
        long t1 = System.nanoTime();
        Path rootfs = Files.createTempDirectory("pc-docker-rootfs-");
        try {
            dockerd.importImage(TestHost.busyboxRootfs(rootfs.resolve("root"), 0), IMAGE);
        } finally {
            TestMounts.detachAndDelete(rootfs);
        }
        System.out.printf("docker: private dockerd ready in %d ms, image imported in %d ms%n",
                ms(t1 - t0), ms(System.nanoTime() - t1));
    }

    @AfterAll
    static void stopDockerd() {
        if (dockerd != null) dockerd.close();
    }

    @AfterEach
    void removeContainers() {
        if (adapter != null) adapter.close();
        for (String c : containers) dockerd.docker("rm", "-f", c);
        containers.clear();
    }

    private String create(String name) {
        dockerd.create(name, IMAGE);
        containers.add(name);
        return name;
    }

    @Test
    void reportsTheInitOfAStartedContainerAndNoticesStartsAndStopsAtOnce() throws Exception {
        adapter = new DockerAdapter(dockerd.socket());
        assertThat(adapter.list()).isEmpty();
        settle(adapter);
        String name = create("pcit-web");
        long start = System.nanoTime();
        adapter.awaitChange(Duration.ofMillis(500));
        assertThat(ms(System.nanoTime() - start)).as("docker create is no start: no wake-up").isGreaterThanOrEqualTo(450);

        CompletableFuture<Long> woke = wakeUp(adapter);
        long cmd = System.nanoTime();
        dockerd.dockerOk("start", name);
        long cmdDone = System.nanoTime();
        long wokeAt = woke.get(10, TimeUnit.SECONDS);
        int pid = dockerd.pid(name);
        long initStarted = TestHost.startedAtNanoTime(pid);
        System.out.printf("docker start: init started -> awaitChange returned %d ms (±10 ms); docker start command "
                + "took %d ms, returned %d ms after the wake-up%n", ms(wokeAt - initStarted), ms(cmdDone - cmd),
                ms(cmdDone - wokeAt));
        assertThat(Duration.ofNanos(wokeAt - initStarted)).isLessThan(PROMPT);

        List<DiscoveredContainer> listed = adapter.list();
        assertThat(listed).containsExactly(new DiscoveredContainer("docker", name, pid,
                OptionalLong.of(ProcessStat.read(pid).orElseThrow().startTime())));
        assertThat(isNamespaceInit(pid)).as("PID 1 of the container, not containerd-shim").isTrue();

        woke = wakeUp(adapter);
        cmd = System.nanoTime();
        dockerd.dockerOk("stop", "-t", "5", name);
        cmdDone = System.nanoTime();
        wokeAt = woke.get(10, TimeUnit.SECONDS);
        System.out.printf("docker stop: command -> awaitChange returned %d ms; docker stop command took %d ms%n",
                ms(wokeAt - cmd), ms(cmdDone - cmd));
        assertThat(adapter.list()).isEmpty();
        assertThat(ProcessStat.read(pid).filter(ProcessStat::running)).isEmpty();

        woke = wakeUp(adapter);
        dockerd.dockerOk("start", name);
        woke.get(10, TimeUnit.SECONDS);
        int again = dockerd.pid(name);
        assertThat(again).isNotEqualTo(pid);
        assertThat(adapter.list()).extracting(DiscoveredContainer::pid).containsExactly(again);
    }

    @Test
    void listsRunningAndPausedContainersOnlyAndMeasuresTheCost() throws Exception {
        adapter = new DockerAdapter(dockerd.socket());
        List<String> running = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String n = create("pcit-n" + i);
            dockerd.dockerOk("start", n);
            running.add(n);
        }
        create("pcit-created");
        dockerd.dockerOk("pause", "pcit-n4");

        long t = System.nanoTime();
        List<DiscoveredContainer> first = adapter.list();
        long uncached = System.nanoTime() - t;
        int rounds = 20;
        t = System.nanoTime();
        for (int i = 0; i < rounds; i++) assertThat(adapter.list()).isEqualTo(first);
        long cached = (System.nanoTime() - t) / rounds;
        System.out.printf("docker list(): %d containers, first (inspect each) %.1f ms, then (cached) %.2f ms%n",
                first.size(), uncached / 1e6, cached / 1e6);
        assertThat(first).extracting(DiscoveredContainer::name).containsExactlyInAnyOrderElementsOf(running);
        for (DiscoveredContainer c : first) assertThat(c.pid()).isEqualTo(dockerd.pid(c.name()));
        dockerd.dockerOk("unpause", "pcit-n4");
    }

    @Test
    void followsDockerdAcrossARestart() throws Exception {
        adapter = new DockerAdapter(dockerd.socket());
        settle(adapter);
        CompletableFuture<Long> woke = wakeUp(adapter);
        long stop = System.nanoTime();
        dockerd.stopDaemon();
        long stopped = System.nanoTime();
        long wokeAt = woke.get(30, TimeUnit.SECONDS);
        System.out.printf("docker: dockerd stopping -> awaitChange returned %d ms (dockerd took %d ms to stop)%n",
                ms(wokeAt - stop), ms(stopped - stop));
        assertThat(Files.exists(dockerd.socket())).as("dockerd removes its socket").isFalse();
        assertThat(adapter.list()).isEmpty();

        // dockerd is gone: after what its shutdown left pending, the follower waits quietly
        adapter.awaitChange(Duration.ofMillis(100));
        long quiet = System.nanoTime();
        adapter.awaitChange(Duration.ofSeconds(2));
        assertThat(ms(System.nanoTime() - quiet)).as("no busy wake-ups while dockerd is gone").isGreaterThanOrEqualTo(1900);

        woke = wakeUp(adapter);
        long restart = System.nanoTime();
        dockerd.startDaemon();
        long ready = System.nanoTime();
        wokeAt = woke.get(30, TimeUnit.SECONDS);
        System.out.printf("docker: dockerd restart -> awaitChange returned %d ms after the start (dockerd answered "
                + "/_ping after %d ms)%n", ms(wokeAt - restart), ms(ready - restart));
        assertThat(Duration.ofNanos(wokeAt - ready)).isLessThan(PROMPT);

        settle(adapter);
        String name = create("pcit-after");
        woke = wakeUp(adapter);
        dockerd.dockerOk("start", name);
        woke.get(10, TimeUnit.SECONDS);
        assertThat(adapter.list()).extracting(DiscoveredContainer::name).containsExactly(name);
    }
}
