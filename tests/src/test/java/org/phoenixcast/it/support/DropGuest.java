package org.phoenixcast.it.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.phoenixcast.testing.TestMounts;

/**
 * A running container registered with a test's castd, seen the way the tests need it: run a
 * shell script inside (the hostile guest's hands), and read castd's side of its channel on the
 * host (STATE/guests/NAME/drop and .../syscmd/replies), which the test trusts.
 *
 * <p>Three kinds: a castd sandbox ({@code castctl sandbox create}; /bin/sh is the host's dash),
 * a busybox {@link UnshareContainer} registered with {@code castctl container add --pid}, and a
 * container of a real runtime that castd discovered ({@link RuntimeContainer}).
 */
public final class DropGuest {
    /** castd attaches a new guest at its next resync (1 s by default). */
    private static final Duration ATTACH_TIMEOUT = Duration.ofSeconds(15);

    private final String name;
    private final CastdProcess castd;
    private final Function<String, ExecResult> shell;
    private final Path hostRoot;
    private final String kind;
    private final int pid;

    private DropGuest(String name, CastdProcess castd, Function<String, ExecResult> shell, Path hostRoot, String kind,
                  int pid) {
        this.pid = pid;
        this.name = name;
        this.castd = castd;
        this.shell = shell;
        this.hostRoot = hostRoot;
        this.kind = kind;
    }

    /**
     * Creates a castd sandbox NAME (removed by {@link CastdProcess#close()}) and waits for its
     * /.syscmd. Scripts run in it as with {@code castctl sandbox exec NAME -- sh -c SCRIPT}.
     */
    public static DropGuest sandbox(CastdProcess castd, String name) {
        castd.castctlOk("sandbox", "create", name);
        int pid = -1;
        for (String line : castd.castctlOk("sandbox", "list").lines().toList()) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 1 && f[0].equals(name)) pid = Integer.parseInt(f[1]);
        }
        if (pid <= 0) throw new AssertionError("no PID for sandbox " + name + " in castctl sandbox list");
        // The same nsenter command `castctl sandbox exec` runs (Sandboxes.exec: mount, UTS, IPC and
        // PID namespaces, root and working directory, PATH and HOME only), without a castctl JVM
        // start per script (~1 s), so hostile-guest tests can afford every attack from a sandbox.
        int init = pid;
        DropGuest g = new DropGuest(name, castd, script -> Nsenter.exec(init, false, UnshareContainer.DEFAULT_EXEC_TIMEOUT,
                null, List.of("/bin/sh", "-c", script)),
                castd.stateDir().resolve("sandboxes").resolve(name).resolve("root"), "sandbox", pid);
        g.awaitAttached();
        return g;
    }

    /** Registers a running test container as NAME and waits for its /.syscmd. */
    public static DropGuest registered(CastdProcess castd, String name, UnshareContainer container) {
        castd.castctlOk("container", "add", name, "--pid", Integer.toString(container.pid()));
        DropGuest g = alreadyRegistered(castd, name, container);
        g.awaitAttached();
        return g;
    }

    /**
     * A test container the test registered as NAME with castctl itself (e.g. by {@code --pidfile}):
     * no castctl call and no wait here; the caller decides when castd has attached it. Its PID
     * is the container's now (a container whose PID is taken over is not this guest any more).
     */
    public static DropGuest alreadyRegistered(CastdProcess castd, String name, UnshareContainer container) {
        return new DropGuest(name, castd, script -> container.exec("sh", "-c", script), container.root(),
                container.rootfs() == UnshareContainer.Rootfs.BUSYBOX ? "busybox" : "unshare", container.pid());
    }

    /**
     * A container of a runtime fixture (started, discovered by castd through the fixture's
     * settings, never registered by hand), once castd attached its /.syscmd; kind is
     * {@code RUNTIME} or {@code RUNTIME-userns}. Its shell runs as the container's root, in its
     * user namespace when it has one.
     */
    public static DropGuest discovered(CastdProcess castd, String runtime, RuntimeContainer container) {
        String kind = runtime + (container.userNamespaced() ? "-userns" : "");
        DropGuest g = new DropGuest(container.name(), castd, container::sh, container.hostRootfs(), kind,
                container.pid());
        g.awaitAttached();
        return g;
    }

    public String name() {
        return name;
    }

    /** "sandbox", "busybox" or the runtime ("runc-userns"): for display names of parameterized tests. */
    public String kind() {
        return kind;
    }

    @Override
    public String toString() {
        return kind + " " + name;
    }

    /** The guest's "/" on the host (trusted test code only; never follow a guest's symlinks here). */
    public Path hostRoot() {
        return hostRoot;
    }

    /** castd's host side of this guest's drop directory. */
    public Path hostDrop() {
        return castd.stateDir().resolve("guests").resolve(name).resolve("drop");
    }

    /** castd's host side of this guest's /syscmd/replies. */
    public Path hostReplies() {
        return castd.stateDir().resolve("guests").resolve(name).resolve("syscmd").resolve("replies");
    }

    /** Runs a POSIX sh script inside the guest (dash in a sandbox, busybox sh otherwise). */
    public ExecResult sh(String script) {
        return shell.apply(script);
    }

    /** Like {@link #sh} but fails the test when the script fails. */
    public String shOk(String script) {
        ExecResult r = sh(script);
        if (!r.succeeded()) throw new AssertionError(this + ": script failed: " + r + "\nscript:\n" + script);
        return r.stdout();
    }

    /**
     * Drops a request the way a guest may: the bytes go to /.syscmd/.NAME.tmp, then a rename to
     * /.syscmd/NAME. Bytes are passed as printf octal escapes, so NUL and non-UTF-8 survive.
     */
    public void dropRaw(String fileName, byte[] content) {
        shOk("set -eu\nprintf '" + octal(content) + "' > /.syscmd/." + fileName + ".tmp\n"
                + "mv /.syscmd/." + fileName + ".tmp /.syscmd/" + fileName + "\n");
    }

    /** Drops VERB.TAG with {@code lines} (one request per line), then waits for and returns its reply. */
    public String request(String verb, String tag, String... lines) {
        String file = verb + "." + tag;
        clearReply(file);
        dropRaw(file, (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
        return awaitReply(file);
    }

    /** Removes an old reply on the host side, so that {@link #awaitReply} sees only a new one. */
    public void clearReply(String replyName) {
        try {
            Files.deleteIfExists(hostReplies().resolve(replyName));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for /syscmd/replies/NAME (read on the host side) and returns its content. */
    public String awaitReply(String replyName) {
        return awaitReply(replyName, Duration.ofSeconds(10));
    }

    public String awaitReply(String replyName, Duration timeout) {
        Path reply = hostReplies().resolve(replyName);
        await(this + " reply " + replyName).atMost(timeout).pollInterval(Duration.ofMillis(20))
                .until(() -> Files.isRegularFile(reply));
        try {
            return Files.readString(reply);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Drops NAME with {@code body} the way a guest's command does, but through castd's host side
     * of the drop tmpfs (the same tmpfs as the guest's /.syscmd: the request is this guest's by
     * where it appears): the bytes go to the dot-file ".NAME", then an atomic rename to NAME.
     * castd ignores dot-files, so the rename makes the request appear complete. On any failure
     * the dot-file is removed again.
     *
     * @return false when the drop tmpfs is full ("No space left on device"; nothing is left
     *     behind, the caller may retry once castd has taken some files)
     * @throws IOException any other failure
     */
    public boolean tryDropOnHost(String name, String body) throws IOException {
        Path tmp = hostDrop().resolve("." + name);
        try {
            Files.writeString(tmp, body, StandardCharsets.UTF_8);
            Files.move(tmp, hostDrop().resolve(name), StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException notRemoved) {
                e.addSuppressed(notRemoved);
            }
            if (String.valueOf(e.getMessage()).contains("No space left")) return false;
            throw e;
        }
    }

    /** Like {@link #tryDropOnHost}, but a full drop directory is an IOException naming the guest and file. */
    public void dropOnHost(String name, String body) throws IOException {
        if (!tryDropOnHost(name, body)) {
            throw new IOException(this + ": cannot drop " + name + ": its drop directory is full (No space left on device)");
        }
    }

    /**
     * Polls castd's host side of /syscmd/replies/NAME every {@code every} (callers that measure
     * latency choose a sub-millisecond or millisecond interval) and returns its content once it
     * is there, or empty after {@code timeout}. The reply is left in place.
     */
    public Optional<String> pollReply(String name, Duration timeout, Duration every) throws IOException {
        Path reply = hostReplies().resolve(name);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.isRegularFile(reply)) {
            if (System.nanoTime() > deadline) return Optional.empty();
            LockSupport.parkNanos(every.toNanos());
        }
        return Optional.of(Files.readString(reply));
    }

    /** Entries of the host side of the drop directory (names only, sorted). */
    public List<String> dropEntries() {
        try {
            return new ArrayList<>(HostDirs.names(hostDrop()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Host PID of the guest's init. */
    public int pid() {
        return pid;
    }

    /**
     * The guest's mount table as its init sees it (/proc/PID/mountinfo read on the host: procfs,
     * not a guest path, and much cheaper than a process inside).
     */
    public List<String> mountinfo() {
        try {
            return Files.readAllLines(Path.of("/proc", Integer.toString(pid), "mountinfo"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The ids (field 1) of the mounts in the guest's mountinfo now. */
    public Set<Integer> mountIds() {
        Set<Integer> ids = new TreeSet<>();
        for (String line : mountinfo()) ids.add(mountId(line));
        return ids;
    }

    /** The mount id of a mountinfo line (its first field): tells a mount added later from one there before. */
    public static int mountId(String mountinfoLine) {
        return Integer.parseInt(mountinfoLine.substring(0, mountinfoLine.indexOf(' ')));
    }

    /** Mount points in the guest's mountinfo (field 5, octal escapes undone). */
    public List<String> mountPoints() {
        List<String> points = new ArrayList<>();
        for (String line : mountinfo()) {
            String point = TestMounts.mountPointOf(line);
            if (!point.isEmpty()) points.add(point);
        }
        return points;
    }

    private void awaitAttached() {
        await(this + " has castd's /.syscmd and /syscmd").atMost(ATTACH_TIMEOUT).pollInterval(Duration.ofMillis(50))
                .until(this::isAttached);
    }

    /** castd's tmpfs is the topmost mount at both /.syscmd and /syscmd in the guest. */
    public boolean isAttached() {
        return topmostIsCastd("/.syscmd") && topmostIsCastd("/syscmd");
    }

    private boolean topmostIsCastd(String point) {
        String top = null;
        for (String line : mountinfo()) {
            String[] f = line.split(" ");
            if (f.length > 4 && f[4].equals(point)) top = line;
        }
        return top != null && top.contains(" - tmpfs phoenix-cast ");
    }

    /** Every byte as a printf octal escape: safe inside single quotes, in dash and busybox alike. */
    public static String octal(byte[] content) {
        StringBuilder out = new StringBuilder(content.length * 4);
        for (byte b : content) out.append('\\').append(String.format("%03o", b & 0xff));
        return out.toString();
    }
}
