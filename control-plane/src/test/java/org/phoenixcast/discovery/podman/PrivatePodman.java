package org.phoenixcast.discovery.podman;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.phoenixcast.discovery.docker.TestHost;
import org.phoenixcast.testing.TestMounts;

/**
 * Root Podman with storage of the test's own, for PodmanAdapterIT and the tests module's
 * PodmanFixture: {@code --root DIR/root --runroot DIR/runroot --tmpdir DIR/tmp} (the tmpdir holds
 * the events log, exit files and the "alive" marker; podman records it in its database, so a
 * later podman given only --root/--runroot, like castd's, uses the same one). Containers run
 * with what our build machines need (platform notes): {@code --cgroup-manager=cgroupfs --runtime
 * runc}, {@code --ulimit nofile=H:H} (H = this process's hard limit: CAP_SYS_RESOURCE is missing),
 * {@code --ulimit nproc=32768:32768}, {@code --systemd=false} (with /sbin/init as command podman
 * would otherwise stop with SIGRTMIN+3, which the busybox init ignores), no network,
 * {@code --rootfs DIR}.
 *
 * <p>runc's own state goes to runc's default root, /run/runc, under the container's 64-hex id:
 * a private runc root ({@code --runtime-flag root=...}) is not passed to conmon's exit command,
 * so a crashed container could not be started again. {@link #close()} removes every container
 * (which removes its /run/runc entry), unmounts what is left beneath DIR and deletes DIR, also
 * after failures; a shutdown hook closes instances a failed test left open.
 */
public final class PrivatePodman implements AutoCloseable {
    /** Container root of user-namespaced containers, as in /etc/subuid's root:100000:65536. */
    public static final int USERNS_BASE = 100000;
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(120);
    private static final Set<PrivatePodman> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> List.copyOf(OPEN).forEach(PrivatePodman::close),
                "private-podman-cleanup"));
    }

    private final Path dir;
    private final String nofile;
    private boolean closed;

    private PrivatePodman(Path dir) throws IOException {
        this.dir = dir;
        long hard = hardNofile();
        this.nofile = hard + ":" + hard;
    }

    /**
     * A new private storage in a temp directory (mode 0711: the container root of a
     * user-namespaced container must traverse it to reach its rootfs).
     */
    public static PrivatePodman create() throws IOException {
        Path dir = Files.createTempDirectory("pc-podman-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        PrivatePodman p = new PrivatePodman(dir);
        OPEN.add(p);
        Files.createDirectories(p.root());
        Files.createDirectories(p.runroot());
        Files.createDirectories(dir.resolve("tmp"));
        return p;
    }

    public Path dir() {
        return dir;
    }

    public Path root() {
        return dir.resolve("root");
    }

    public Path runroot() {
        return dir.resolve("runroot");
    }

    /** {@code podman --root --runroot --tmpdir --cgroup-manager=cgroupfs --runtime runc args...} */
    public TestHost.Result podman(String... args) {
        List<String> argv = new ArrayList<>(List.of("podman", "--root", root().toString(), "--runroot",
                runroot().toString(), "--tmpdir", dir.resolve("tmp").toString(), "--cgroup-manager=cgroupfs",
                "--runtime", "runc"));
        argv.addAll(List.of(args));
        return TestHost.run(CLI_TIMEOUT, argv);
    }

    /** Like {@link #podman} but fails unless it exits 0; returns stdout, stripped. */
    public String podmanOk(String... args) {
        List<String> argv = new ArrayList<>(List.of("podman"));
        argv.addAll(List.of(args));
        return podman(args).orThrow(argv).strip();
    }

    /**
     * Creates (not starts) container {@code name} on {@code rootfs} with /sbin/init; with
     * {@code userNamespaced}, container ids 0-65535 map to host {@link #USERNS_BASE}+ (the
     * rootfs must be owned by that base).
     */
    public void create(String name, Path rootfs, boolean userNamespaced) {
        List<String> args = new ArrayList<>(List.of("create", "--name", name, "--systemd=false", "--network", "none",
                "--ulimit", "nofile=" + nofile, "--ulimit", "nproc=32768:32768"));
        if (userNamespaced) {
            String map = "0:" + USERNS_BASE + ":65536";
            args.addAll(List.of("--uidmap", map, "--gidmap", map));
        }
        args.addAll(List.of("--rootfs", rootfs.toString(), "/sbin/init"));
        podmanOk(args.toArray(String[]::new));
    }

    /** The host PID of a container's init as podman reports it; 0 when it does not run. */
    public int pid(String name) {
        return Integer.parseInt(podmanOk("inspect", "-f", "{{.State.Pid}}", name));
    }

    private static long hardNofile() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                return f[1].equals("unlimited") ? 1048576 : Long.parseLong(f[1]);
            }
        }
        throw new IOException("no 'Max open files' in /proc/self/limits");
    }

    /**
     * After a failed {@code podman rm}: kills, by PID, the conmon monitors whose command line
     * names this storage, their containers' inits first.
     */
    private void killLeftovers() {
        String mine = dir.toString() + "/";
        ProcessHandle.allProcesses()
                .filter(h -> h.info().commandLine().map(c -> c.contains("conmon") && c.contains(mine)).orElse(false))
                .forEach(conmon -> {
                    conmon.descendants().forEach(ProcessHandle::destroyForcibly);
                    conmon.destroyForcibly();
                    conmon.onExit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).exceptionally(t -> null).join();
                });
    }

    /** Removes every container, unmounts and deletes the directory. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            podman("rm", "--all", "--force", "--time", "0");
        } catch (RuntimeException e) {
            // the unmount below still runs
        } finally {
            killLeftovers();
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
