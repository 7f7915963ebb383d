package org.phoenixcast.it.runtimes;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.phoenixcast.discovery.docker.TestHost;
import org.phoenixcast.it.support.RuntimeContainer;

/**
 * A container of a fixture's private Docker daemon or Podman storage, driven with the runtime's
 * docker-style CLI: start (then its init must run), stop (then its init must be gone), the init
 * PID from inspect, and close() removing it by force without ever throwing.
 */
abstract class CliContainer implements RuntimeContainer {
    private final String tool;
    private final String name;
    private final List<String> stop;
    private final List<String> remove;
    private boolean closed;

    /**
     * @param stop   the stop command before the name, e.g. {@code stop -t 10}
     * @param remove the forced remove command before the name, e.g. {@code rm -f}
     */
    CliContainer(String tool, String name, List<String> stop, List<String> remove) {
        this.tool = tool;
        this.name = name;
        this.stop = List.copyOf(stop);
        this.remove = List.copyOf(remove);
    }

    /** Runs the CLI against the fixture's daemon or storage. */
    abstract TestHost.Result cli(String... args);

    /** The init's host PID while the container runs, else 0 or less. */
    abstract int initPid();

    @Override
    public final String name() {
        return name;
    }

    @Override
    public void start() throws IOException {
        run("start", name);
        int pid = pid();
        if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            throw new IOException(tool + " start " + name + ": init " + pid + " does not run");
        }
    }

    @Override
    public void stop() throws IOException {
        int pid = initPid();
        run(withName(stop));
        if (pid > 0) {
            await(name + "'s init " + pid + " gone").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
                    .until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
        }
    }

    @Override
    public int pid() {
        int pid = initPid();
        if (pid <= 0) throw new IllegalStateException(tool + " container " + name + " is not running");
        return pid;
    }

    /** Runs the CLI; an IOException with its stderr when it fails. */
    void run(String... args) throws IOException {
        TestHost.Result r = cli(args);
        if (!r.succeeded()) {
            throw new IOException(tool + " " + String.join(" ", args) + " failed (" + r.exitCode() + "): " + r.stderr().strip());
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            cli(withName(remove));
        } catch (RuntimeException e) {
            System.err.println(tool + " fixture: cannot remove " + name + ": " + e);
        }
    }

    private String[] withName(List<String> command) {
        List<String> args = new ArrayList<>(command);
        args.add(name);
        return args.toArray(String[]::new);
    }
}
