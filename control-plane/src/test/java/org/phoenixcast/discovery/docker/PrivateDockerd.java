package org.phoenixcast.discovery.docker;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.phoenixcast.testing.TestMounts;

/**
 * A dockerd of the test's own, for DockerAdapterIT and the tests module's DockerFixture:
 * {@code dockerd -H unix://DIR/docker.sock --data-root DIR/data --exec-root DIR/exec --pidfile
 * DIR/docker.pid --bridge=none --iptables=false --ip6tables=false --ip-forward=false
 * --ip-masq=false} (Docker 20.10, Debian's docker.io): no network set-up on the host, its own
 * containerd under DIR/exec, nothing shared with a host dockerd. Driven with /usr/bin/docker -H
 * (another docker client may come first on PATH).
 *
 * <p>{@link #close()} removes every container, stops dockerd (SIGTERM, then SIGKILL after
 * {@link #STOP_GRACE}, its containerd too), unmounts what is left beneath DIR and deletes DIR,
 * also after a failed start; a shutdown hook closes instances a failed test left open.
 */
public final class PrivateDockerd implements AutoCloseable {
    public static final String DOCKER = "/usr/bin/docker";
    /** dockerd answers /_ping ~0.25 s after its start; 60 s only bounds a wedged one. */
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    /** dockerd stops its containerd and unmounts in ~2 s. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(120);
    private static final Set<PrivateDockerd> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> List.copyOf(OPEN).forEach(PrivateDockerd::close),
                "private-dockerd-cleanup"));
    }

    private final Path dir;
    private Process dockerd;
    private boolean closed;

    private PrivateDockerd(Path dir) {
        this.dir = dir;
    }

    /** Starts a dockerd in a new temp directory; returns once it answers /_ping. */
    public static PrivateDockerd start() throws IOException {
        PrivateDockerd d = new PrivateDockerd(Files.createTempDirectory("pc-dockerd-"));
        OPEN.add(d);
        try {
            d.startDaemon();
            return d;
        } catch (IOException | RuntimeException | Error e) {
            d.close();
            throw e;
        }
    }

    public Path socket() {
        return dir.resolve("docker.sock");
    }

    public Path dir() {
        return dir;
    }

    /** Starts dockerd on this directory (again, after {@link #stopDaemon}); returns once it answers. */
    public synchronized void startDaemon() throws IOException {
        if (dockerd != null && dockerd.isAlive()) throw new IllegalStateException("dockerd runs already");
        List<String> argv = List.of("dockerd", "-H", "unix://" + socket(), "--data-root", dir.resolve("data").toString(),
                "--exec-root", dir.resolve("exec").toString(), "--pidfile", dir.resolve("docker.pid").toString(),
                "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-forward=false", "--ip-masq=false");
        ProcessBuilder pb = new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("dockerd.log").toFile()))
                .redirectErrorStream(true);
        pb.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        dockerd = pb.start();
        DockerEngine engine = new DockerEngine(socket(), Duration.ofSeconds(2), Duration.ofSeconds(2));
        Process started = dockerd;
        try {
            await("dockerd answers /_ping").atMost(READY_TIMEOUT).pollInterval(Duration.ofMillis(20)).until(() -> {
                if (!started.isAlive()) throw new IOException("dockerd exited at start: " + logTail());
                try {
                    return Files.exists(socket()) && engine.get("/_ping", 100) != null;
                } catch (IOException e) {
                    return false; // not listening yet
                }
            });
        } catch (ConditionTimeoutException e) {
            throw new IOException("dockerd did not answer within " + READY_TIMEOUT + ": " + logTail(), e);
        }
    }

    /** Stops dockerd (SIGTERM, then SIGKILL with its containerd); keeps the directory. */
    public synchronized void stopDaemon() {
        if (dockerd == null) return;
        List<ProcessHandle> children = dockerd.descendants().toList();
        dockerd.destroy();
        try {
            if (!dockerd.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                dockerd.destroyForcibly();
                dockerd.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (ProcessHandle c : children) {
            if (c.isAlive()) {
                c.destroyForcibly();
                c.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> null).join();
            }
        }
        dockerd = null;
        killLeftovers();
    }

    /**
     * containerd's shims leave dockerd's process tree (they are re-parented to PID 1); after a
     * SIGKILL they and the containers' inits would outlive the test. Kills, by PID, the shims
     * whose command line names this daemon's own directory, inits first.
     */
    private void killLeftovers() {
        String mine = dir.toString() + "/";
        ProcessHandle.allProcesses()
                .filter(h -> h.info().commandLine().map(c -> c.contains("containerd-shim") && c.contains(mine)).orElse(false))
                .forEach(shim -> {
                    shim.descendants().forEach(ProcessHandle::destroyForcibly);
                    shim.destroyForcibly();
                    shim.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> null).join();
                });
    }

    /** {@code docker -H unix://SOCKET args...}, at most two minutes. */
    public TestHost.Result docker(String... args) {
        List<String> argv = new ArrayList<>(List.of(DOCKER, "-H", "unix://" + socket()));
        argv.addAll(List.of(args));
        return TestHost.run(CLI_TIMEOUT, argv);
    }

    /** Like {@link #docker} but fails unless it exits 0; returns stdout, stripped. */
    public String dockerOk(String... args) {
        List<String> argv = new ArrayList<>(List.of("docker"));
        argv.addAll(List.of(args));
        return docker(args).orThrow(argv).strip();
    }

    /** Imports {@code rootfs} (a directory) as image {@code tag} via a tar in the daemon's directory. */
    public void importImage(Path rootfs, String tag) {
        Path tar = dir.resolve("rootfs.tar");
        List<String> argv = List.of("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".");
        TestHost.run(CLI_TIMEOUT, argv).orThrow(argv);
        dockerOk("import", tar.toString(), tag);
        try {
            Files.delete(tar);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates (not starts) a container of {@code image} with no network and /sbin/init as its command. */
    public void create(String name, String image) {
        dockerOk("create", "--network", "none", "--name", name, image, "/sbin/init");
    }

    /** The host PID of a container's init as dockerd reports it; 0 when it does not run. */
    public int pid(String name) {
        return Integer.parseInt(dockerOk("inspect", "-f", "{{.State.Pid}}", name));
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("dockerd.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Removes every container, stops dockerd, unmounts and deletes the directory. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            if (dockerd != null && dockerd.isAlive()) {
                TestHost.Result ids = docker("ps", "-aq");
                if (ids.succeeded() && !ids.stdout().isBlank()) {
                    List<String> rm = new ArrayList<>(List.of("rm", "-f"));
                    rm.addAll(ids.stdout().lines().map(String::strip).filter(s -> !s.isEmpty()).toList());
                    docker(rm.toArray(String[]::new));
                }
            }
        } catch (RuntimeException e) {
            // stopping dockerd below also stops its containers
        } finally {
            stopDaemon();
            try {
                TestMounts.detachAndDelete(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot clean up " + dir, e);
            } finally {
                OPEN.remove(this);
            }
        }
    }
}
