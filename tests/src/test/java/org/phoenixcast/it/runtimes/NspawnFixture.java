package org.phoenixcast.it.runtimes;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.phoenixcast.it.support.BusyboxRootfs;
import org.phoenixcast.it.support.RuntimeContainer;
import org.phoenixcast.it.support.RuntimeFixture;
import org.phoenixcast.testing.TestMounts;

import static org.awaitility.Awaitility.await;

/**
 * systemd-nspawn containers as this machine can run them: no systemd as PID 1 and no D-Bus, so
 * {@code systemd-nspawn --register=no --keep-unit -q -D ROOTFS -M MACHINE /sbin/init} in the
 * background, the busybox sh init as PID 1 (no {@code --as-pid2} needed: the init traps TERM
 * and reaps orphans). nspawn wants a /usr directory in the tree; the fixture adds an empty one.
 *
 * <p>{@link #withUserNamespace()} (the brief's "userNamespaced()": that name is taken by
 * {@link RuntimeFixture#userNamespaced()}) adds {@code -U} (private users, a randomly picked 64 Ki range).
 * nspawn 252 on this kernel then maps the rootfs with an idmapped mount: files in
 * {@link RuntimeContainer#hostRootfs()} stay owned by host uid 0 and show as uid 0 inside, while
 * the container's root runs as the picked host uid.
 *
 * <p>nspawn's state (/run/systemd/nspawn) cannot be made private, so machine names carry a
 * prefix unique to the fixture ({@code nsXXXXXX-NAME}) and {@link #castdSettings()} limits
 * discovery to it. Stop: SIGTERM to nspawn (it kills its container and removes its state), then
 * SIGKILL to nspawn and to the container's init after 10 s, and removal of the state a killed
 * nspawn leaves behind. {@link #close()} does that for every container and deletes the rootfs
 * trees, also after a failed test; a shutdown hook closes what a test forgot.
 */
public final class NspawnFixture implements RuntimeFixture {
    /** nspawn 252's state directory (castd's nspawn.state-dir). */
    public static final Path STATE_DIR = Path.of("/run/systemd/nspawn");
    /** nspawn starts in 0.05-0.2 s here; thirty seconds only bounds a wedged one. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final Set<NspawnFixture> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> List.copyOf(OPEN).forEach(NspawnFixture::close),
                "nspawn-fixture-cleanup"));
    }

    private final boolean userNamespaced;
    private final String prefix;
    private final Path dir;
    private final List<Container> containers = new ArrayList<>();

    private NspawnFixture(boolean userNamespaced) throws IOException {
        this.userNamespaced = userNamespaced;
        this.prefix = String.format("ns%06x-", ThreadLocalRandom.current().nextInt(1 << 24));
        this.dir = Files.createTempDirectory("phoenix-cast-nspawn");
        OPEN.add(this);
    }

    /** Containers whose root is host root (no user namespace). */
    public static NspawnFixture privileged() throws IOException {
        return new NspawnFixture(false);
    }

    /** {@code systemd-nspawn -U}: containers in their own user namespace. */
    public static NspawnFixture withUserNamespace() throws IOException {
        return new NspawnFixture(true);
    }

    @Override
    public String runtime() {
        return "nspawn";
    }

    @Override
    public boolean userNamespaced() {
        return userNamespaced;
    }

    /** What this fixture puts before every name: machine names must be unique on the host. */
    public String prefix() {
        return prefix;
    }

    @Override
    public Map<String, String> castdSettings() {
        // the prefix has no regex metacharacters, so no quoting (castd.conf is a properties file: no backslashes)
        return Map.of("runtimes", "nspawn", "nspawn.state-dir", STATE_DIR.toString(), "discover-names", prefix + ".*");
    }

    /** Creates a container whose machine name (and castd name) is {@link #prefix()} + {@code name}. */
    @Override
    public synchronized RuntimeContainer create(String name) throws IOException {
        String machine = prefix + name;
        if (!machine.matches("[A-Za-z0-9][A-Za-z0-9-]{0,63}")) throw new IllegalArgumentException("not a machine name: " + machine);
        Path rootfs = BusyboxRootfs.build(dir.resolve(machine), 0);
        Files.createDirectories(rootfs.resolve("usr"));
        Container c = new Container(machine, rootfs);
        containers.add(c);
        return c;
    }

    @Override
    public synchronized void close() {
        for (Container c : containers) c.close();
        containers.clear();
        try {
            TestMounts.detachAllBeneath(dir);
            TestMounts.deleteTree(dir);
        } catch (IOException e) {
            System.err.println("nspawn fixture: cannot remove " + dir + ": " + e.getMessage());
        }
        OPEN.remove(this);
    }

    /** One machine; its nspawn runs as a child of the test JVM while started. */
    private final class Container implements RuntimeContainer {
        private final String machine;
        private final Path rootfs;
        private Process nspawn;
        private int init;

        Container(String machine, Path rootfs) {
            this.machine = machine;
            this.rootfs = rootfs;
        }

        @Override
        public String name() {
            return machine;
        }

        @Override
        public synchronized void start() throws IOException {
            if (nspawn != null && nspawn.isAlive()) throw new IllegalStateException(machine + " already runs");
            List<String> argv = new ArrayList<>(List.of("systemd-nspawn", "--register=no", "--keep-unit", "-q"));
            if (userNamespaced) argv.add("-U");
            argv.addAll(List.of("-D", rootfs.toString(), "-M", machine, "/sbin/init"));
            Path log = dir.resolve(machine + ".log");
            nspawn = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            try {
                await().atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(5))
                        .until(() -> !nspawn.isAlive() || runningInit().isPresent());
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                stopQuietly();
                throw new IOException("systemd-nspawn " + machine + " did not start within " + START_TIMEOUT + ": " + read(log));
            }
            if (!nspawn.isAlive()) throw new IOException("systemd-nspawn " + machine + " exited " + nspawn.exitValue() + ": " + read(log));
            init = runningInit().orElseThrow();
        }

        /**
         * nspawn's child that is PID 1 of its own PID namespace and runs the container's init
         * (its executable is no longer nspawn's: the container's /sbin/init ran).
         */
        private Optional<Integer> runningInit() {
            long pid = nspawn.pid();
            String nspawnExe = exe(pid);
            return ProcessHandle.of(pid).stream().flatMap(ProcessHandle::children).map(h -> (int) h.pid())
                    .filter(c -> isNamespaceInit(c) && !exe(c).equals(nspawnExe)).findFirst();
        }

        @Override
        public synchronized void stop() throws IOException {
            if (nspawn == null) return;
            nspawn.destroy(); // SIGTERM
            boolean exited;
            try {
                exited = nspawn.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exited = false;
            }
            if (!exited) stopQuietly();
            else removeStaleState(); // nothing left after a clean exit; harmless then
            int was = init;
            nspawn = null;
            init = 0;
            if (was > 0 && !RuncFixture.exited(was)) {
                throw new IOException("nspawn " + machine + ": init " + was + " still runs");
            }
        }

        /** SIGKILL to nspawn and to the init it leaves orphaned; removes what nspawn left behind. */
        private void stopQuietly() {
            if (nspawn != null) {
                nspawn.destroyForcibly();
                try {
                    nspawn.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (init > 0) {
                ProcessHandle.of(init).ifPresent(ProcessHandle::destroyForcibly);
                try {
                    await().atMost(STOP_GRACE).pollInterval(Duration.ofMillis(5)).until(() -> RuncFixture.exited(init));
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    System.err.println("nspawn fixture: init " + init + " of " + machine + " survives SIGKILL");
                }
            }
            removeStaleState();
        }

        /** A killed nspawn leaves propagate/MACHINE and locks/inode-DEV:INO (of the rootfs). */
        private void removeStaleState() {
            try {
                Path propagate = STATE_DIR.resolve("propagate").resolve(machine);
                if (Files.isDirectory(propagate, LinkOption.NOFOLLOW_LINKS)) TestMounts.deleteTree(propagate);
                long dev = ((Number) Files.getAttribute(rootfs, "unix:dev")).longValue();
                long ino = ((Number) Files.getAttribute(rootfs, "unix:ino")).longValue();
                Files.deleteIfExists(STATE_DIR.resolve("locks").resolve("inode-" + dev + ":" + ino));
            } catch (IOException | RuntimeException e) {
                System.err.println("nspawn fixture: cannot remove the state of " + machine + ": " + e.getMessage());
            }
        }

        @Override
        public synchronized int pid() {
            if (nspawn == null || !nspawn.isAlive() || init <= 0 || RuncFixture.exited(init)) {
                throw new IllegalStateException("nspawn container " + machine + " is not running");
            }
            return init;
        }

        @Override
        public boolean userNamespaced() {
            return userNamespaced;
        }

        @Override
        public Path hostRootfs() {
            return rootfs;
        }

        @Override
        public synchronized void close() {
            try {
                stop();
            } catch (IOException | RuntimeException e) {
                System.err.println("nspawn fixture: stopping " + machine + " failed: " + e.getMessage());
                stopQuietly();
            }
        }

        @Override
        public String toString() {
            return "nspawn:" + machine;
        }
    }

    /** True for the PID 1 of a PID namespace below the host's (/proc/PID/status NSpid). */
    static boolean isNamespaceInit(int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"), StandardCharsets.ISO_8859_1)) {
                if (line.startsWith("NSpid:")) {
                    String[] ids = line.substring(6).trim().split("\\s+");
                    return ids.length >= 2 && ids[ids.length - 1].equals("1");
                }
            }
        } catch (IOException e) {
            // exited
        }
        return false;
    }

    private static String exe(long pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "exe")).toString();
        } catch (IOException e) {
            return "";
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
