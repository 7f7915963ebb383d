package org.phoenixcast.it.runtimes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.phoenixcast.discovery.lxc.PrivateLxcpath;
import org.phoenixcast.discovery.lxc.SubordinateIds;
import org.phoenixcast.it.support.BusyboxRootfs;
import org.phoenixcast.it.support.RuntimeContainer;
import org.phoenixcast.it.support.RuntimeFixture;

/**
 * LXC (5.0.2 from Debian) for the runtime tests, privileged or unprivileged, with its own
 * lxcpath in a temp directory: castd configured with {@link #castdSettings()} sees only this
 * fixture's containers. Containers run a {@link BusyboxRootfs} (owned by host uid/gid 100000
 * when unprivileged) with the minimal config of platform-notes.md, and are started with
 * {@code lxc-start -d}, stopped with {@code lxc-stop} (falling back to {@code --kill}).
 *
 * <p>{@link #unprivileged()} appends {@code root:100000:65536} to /etc/subuid and /etc/subgid
 * when no root line covers it, and says so on stderr. {@link #close()} destroys every container,
 * ends this lxcpath's lxc-monitord and deletes the lxcpath and LXC's /run/lxc entries for it,
 * even after a failure; a shutdown hook does it for a fixture a test forgot.
 *
 * <p>Needs root and lxc-start, lxc-stop, lxc-info, lxc-destroy, lxc-monitor, busybox (guard
 * tests with {@code @RequiresRoot}).
 */
public final class LxcFixture implements RuntimeFixture {
    /**
     * The names {@link #create} accepts, and castd's {@code discover-names} for this fixture:
     * castd's own bare-name rule, so the runtime's name is castd's name (tests may reuse a name
     * another runtime's fixture has, to exercise {@code lxc:web} vs {@code docker:web}).
     */
    public static final String NAMES = "[A-Za-z0-9][A-Za-z0-9_.-]{0,63}";
    private static final Pattern NAME = Pattern.compile(NAMES);
    /** lxc-stop returns once init is reaped; this only bounds a wedged one. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);

    public enum Mode { PRIVILEGED, UNPRIVILEGED }

    private final Mode mode;
    private final PrivateLxcpath lxc;
    private final List<Container> containers = new CopyOnWriteArrayList<>();

    private LxcFixture(Mode mode, PrivateLxcpath lxc) {
        this.mode = mode;
        this.lxc = lxc;
    }

    public static LxcFixture privileged() throws IOException {
        return new LxcFixture(Mode.PRIVILEGED, PrivateLxcpath.create());
    }

    /** Container root is host uid/gid 100000 (65536 ids mapped); may add lines to /etc/subuid and /etc/subgid. */
    public static LxcFixture unprivileged() throws IOException {
        SubordinateIds.ensureRootRange(LxcFixture.class.getSimpleName());
        return new LxcFixture(Mode.UNPRIVILEGED, PrivateLxcpath.create());
    }

    public static LxcFixture of(Mode mode) throws IOException {
        return mode == Mode.PRIVILEGED ? privileged() : unprivileged();
    }

    public Mode mode() {
        return mode;
    }

    /** This fixture's private lxcpath. */
    public Path lxcpath() {
        return lxc.lxcpath();
    }

    @Override
    public String runtime() {
        return "lxc";
    }

    @Override
    public boolean userNamespaced() {
        return mode == Mode.UNPRIVILEGED;
    }

    @Override
    public Map<String, String> castdSettings() {
        return Map.of("runtimes", "lxc", "lxc.lxcpath", lxc.lxcpath().toString(), "discover-names", NAMES);
    }

    @Override
    public RuntimeContainer create(String name) throws IOException {
        if (name == null || !NAME.matcher(name).matches() || name.equals("host")) {
            throw new IllegalArgumentException("LxcFixture: invalid container name '" + name + "'");
        }
        lxc.define(name, userNamespaced(), BusyboxRootfs::build);
        Container c = new Container(name);
        containers.add(c);
        return c;
    }

    @Override
    public void close() {
        for (Container c : containers) c.close();
        lxc.close();
    }

    private final class Container implements RuntimeContainer {
        private final String name;

        private Container(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void start() throws IOException {
            lxc.start(name); // lxc-start -d returns once the container is RUNNING
            int pid = lxc.pid(name);
            if (ProcessHandle.of(pid).isEmpty()) throw new IOException(name + ": init " + pid + " is not running");
        }

        @Override
        public void stop() throws IOException {
            OptionalInt pid = lxc.runningPid(name);
            lxc.stop(name);
            if (pid.isEmpty()) return;
            ProcessHandle.of(pid.getAsInt()).ifPresent(h -> {
                try {
                    h.onExit().get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (ExecutionException | TimeoutException e) {
                    throw new IllegalStateException(name + ": init " + pid.getAsInt() + " still runs after lxc-stop", e);
                }
            });
        }

        @Override
        public int pid() {
            try {
                return lxc.pid(name);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public boolean userNamespaced() {
            return LxcFixture.this.userNamespaced();
        }

        @Override
        public Path hostRootfs() {
            return lxc.dir(name).resolve("rootfs");
        }

        @Override
        public void close() {
            try {
                lxc.destroy(name);
            } catch (IOException | RuntimeException e) {
                System.err.println("LxcFixture: cannot destroy " + name + ": " + e);
            }
        }
    }
}
