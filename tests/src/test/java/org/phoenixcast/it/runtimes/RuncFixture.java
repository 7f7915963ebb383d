package org.phoenixcast.it.runtimes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.phoenixcast.it.support.BusyboxRootfs;
import org.phoenixcast.it.support.RuntimeContainer;
import org.phoenixcast.it.support.RuntimeFixture;
import org.phoenixcast.testing.TestMounts;
import org.phoenixcast.linux.ProcessStat;

import static org.awaitility.Awaitility.await;

/**
 * runc containers with their own state directory ({@code runc --root}, castd's {@code runc.root}),
 * so castd under test sees only this fixture's containers. Each container is an OCI bundle made
 * with {@code runc spec} on a busybox rootfs, edited to run /sbin/init without a terminal on a
 * writable root, and started detached with {@code runc run -d}.
 *
 * <p>{@link #withUserNamespace()} (the brief's "userNamespaced()": that name is taken by
 * {@link RuntimeFixture#userNamespaced()}): the bundle also gets a user namespace mapping container ids
 * 0-65535 to host 100000-165535 (as {@code runc spec --rootless} would write them), and the
 * rootfs is chowned to 100000. runc run as host root needs no /etc/subuid entry for that.
 *
 * <p>Stop: {@code runc kill ID TERM} (the busybox init exits on TERM), SIGKILL after 5 s, then
 * {@code runc delete -f}. {@link #close()} deletes every container and the state directory,
 * also after a failed test; a shutdown hook closes what a test forgot.
 */
public final class RuncFixture implements RuntimeFixture {
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
    /** The init exits on TERM at once; five seconds only bounds a wedged one. */
    static final Duration STOP_GRACE = Duration.ofSeconds(5);
    static final int USERNS_BASE = 100000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<RuncFixture> OPEN = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> List.copyOf(OPEN).forEach(RuncFixture::close),
                "runc-fixture-cleanup"));
    }

    private final boolean userNamespaced;
    private final Path dir;
    private final Path root;
    private final List<Container> containers = new ArrayList<>();

    private RuncFixture(boolean userNamespaced) throws IOException {
        this.userNamespaced = userNamespaced;
        this.dir = Files.createTempDirectory("phoenix-cast-runc");
        // the container's root (host uid 100000 when user-namespaced) must reach its rootfs
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        this.root = dir.resolve("state");
        OPEN.add(this);
    }

    /** Containers whose root is host root. */
    public static RuncFixture privileged() throws IOException {
        return new RuncFixture(false);
    }

    /** Containers in their own user namespace: container root is host uid 100000. */
    public static RuncFixture withUserNamespace() throws IOException {
        return new RuncFixture(true);
    }

    @Override
    public String runtime() {
        return "runc";
    }

    @Override
    public boolean userNamespaced() {
        return userNamespaced;
    }

    /** runc's state directory of this fixture (castd's runc.root). */
    public Path stateDirectory() {
        return root;
    }

    @Override
    public Map<String, String> castdSettings() {
        // the state directory is private to the fixture: every container in it is the fixture's
        return Map.of("runtimes", "runc", "runc.root", root.toString(), "discover-names", ".*");
    }

    @Override
    public synchronized RuntimeContainer create(String name) throws IOException {
        Path bundle = Files.createDirectories(dir.resolve("bundles").resolve(name));
        for (Path p : List.of(dir.resolve("bundles"), bundle)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        BusyboxRootfs.build(bundle.resolve("rootfs"), userNamespaced ? USERNS_BASE : 0);
        run("runc", "spec", "--bundle", bundle.toString());
        ObjectNode config = (ObjectNode) JSON.readTree(bundle.resolve("config.json").toFile());
        ObjectNode process = (ObjectNode) config.get("process");
        process.put("terminal", false);
        process.putArray("args").add("/sbin/init");
        ((ObjectNode) config.get("root")).put("readonly", false);
        ((ObjectNode) config).put("hostname", name);
        if (userNamespaced) {
            ObjectNode linux = (ObjectNode) config.get("linux");
            ((ArrayNode) linux.get("namespaces")).addObject().put("type", "user");
            for (String maps : List.of("uidMappings", "gidMappings")) {
                linux.putArray(maps).addObject().put("containerID", 0).put("hostID", USERNS_BASE).put("size", 65536);
            }
        }
        JSON.writerWithDefaultPrettyPrinter().writeValue(bundle.resolve("config.json").toFile(), config);
        Container c = new Container(name, bundle);
        containers.add(c);
        return c;
    }

    private String runc(String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of("runc", "--root", root.toString()));
        argv.addAll(Arrays.asList(args));
        return run(argv.toArray(String[]::new));
    }

    /**
     * Runs a command and returns what it printed; fails with that when it exits non-zero. The
     * output goes to a file, not a pipe: a detached container inherits runc's stdout and stderr.
     */
    static String run(String... command) throws IOException {
        Path log = Files.createTempFile("phoenix-cast-runc", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            try {
                if (!p.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    throw new IOException(String.join(" ", command) + " timed out after " + COMMAND_TIMEOUT);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
                throw new IOException("interrupted: " + String.join(" ", command), e);
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out);
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** `runc state ID` as JSON; empty when runc does not know the container. */
    private Optional<JsonNode> state(String id) {
        try {
            String out = runc("state", id);
            return Optional.of(JSON.readTree(out.substring(out.indexOf('{'))));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * True once a process has exited, also while it is an unreaped zombie: a detached container's
     * init is reparented to the host's PID 1, which may reap it only later (here ~1.5 s), and
     * ProcessHandle.isAlive() is true until then.
     */
    static boolean exited(long pid) {
        try {
            return ProcessStat.read((int) pid).filter(ProcessStat::running).isEmpty();
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    @Override
    public synchronized void close() {
        for (Container c : containers) c.close();
        containers.clear();
        try {
            TestMounts.detachAllBeneath(dir);
            TestMounts.deleteTree(dir);
        } catch (IOException e) {
            System.err.println("runc fixture: cannot remove " + dir + ": " + e.getMessage());
        }
        OPEN.remove(this);
    }

    /** One container (runc id = its name). */
    private final class Container implements RuntimeContainer {
        private final String name;
        private final Path bundle;

        Container(String name, Path bundle) {
            this.name = name;
            this.bundle = bundle;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void start() throws IOException {
            if (state(name).isPresent()) runc("delete", "-f", name); // a stopped one from before
            runc("run", "-d", "--bundle", bundle.toString(), name);
            String status = state(name).map(s -> s.path("status").asText()).orElse("missing");
            if (!status.equals("running")) throw new IOException("runc container " + name + " is " + status + " after run -d");
        }

        @Override
        public void stop() throws IOException {
            Optional<JsonNode> s = state(name);
            if (s.isEmpty()) return;
            int pid = s.get().path("pid").asInt();
            if (s.get().path("status").asText().equals("running")) {
                quietly("kill", name, "TERM");
                if (!gone(pid)) quietly("kill", name, "KILL");
            }
            runc("delete", "-f", name);
            if (!gone(pid)) throw new IOException("runc container " + name + ": init " + pid + " still runs after delete -f");
        }

        private boolean gone(int pid) {
            try {
                await().atMost(STOP_GRACE).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5)).until(() -> exited(pid));
                return true;
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                return false;
            }
        }

        private void quietly(String... args) {
            try {
                runc(args);
            } catch (IOException e) {
                // it stopped meanwhile
            }
        }

        @Override
        public int pid() {
            JsonNode s = state(name).orElseThrow(() -> new IllegalStateException("runc container " + name + " does not exist"));
            if (!s.path("status").asText().equals("running") || exited(s.path("pid").asInt())) {
                throw new IllegalStateException("runc container " + name + " is " + s.path("status").asText());
            }
            return s.path("pid").asInt();
        }

        @Override
        public boolean userNamespaced() {
            return userNamespaced;
        }

        @Override
        public Path hostRootfs() {
            return bundle.resolve("rootfs");
        }

        @Override
        public void close() {
            try {
                stop();
            } catch (IOException | RuntimeException e) {
                System.err.println("runc fixture: stopping " + name + " failed: " + e.getMessage());
                quietly("delete", "-f", name);
            }
            try {
                TestMounts.deleteTree(bundle);
            } catch (IOException e) {
                System.err.println("runc fixture: cannot remove " + bundle + ": " + e.getMessage());
            }
        }

        @Override
        public String toString() {
            return "runc:" + name;
        }
    }
}
