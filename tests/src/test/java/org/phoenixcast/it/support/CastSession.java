package org.phoenixcast.it.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.phoenixcast.testing.TestMounts;

/**
 * One real castd shared by the tests of a class (starting castd and its castctl JVMs costs
 * seconds), with what each test made: guests, host folders. {@link #endTest()} undoes a test
 * (kills its containers, removes its sandboxes, resets the sharing state to an empty casts.ini,
 * detaches and deletes its host folders) so the next test starts from nothing; {@link #close()}
 * stops castd and fails if any mount is left beneath its directory.
 */
public final class CastSession implements AutoCloseable {
    private static final AtomicInteger NAMES = new AtomicInteger();

    private final CastdProcess castd;
    private final List<Guest> guests = new ArrayList<>();
    private final List<Path> hostDirs = new ArrayList<>();

    private CastSession(CastdProcess castd) {
        this.castd = castd;
    }

    public static CastSession start() throws IOException {
        CastdProcess castd = CastdProcess.start();
        return new CastSession(castd);
    }

    /** A session whose castd runs with these castd.conf settings (e.g. a runtime fixture's). */
    public static CastSession start(java.util.Map<String, String> settings) throws IOException {
        return new CastSession(CastdProcess.start(settings, null));
    }

    public CastdProcess castd() {
        return castd;
    }

    /** A container name not used before in this JVM: {@code prefix} plus a number. */
    public static String uniqueName(String prefix) {
        return prefix + NAMES.incrementAndGet();
    }

    /** A registered test container whose /bin/sh is {@code shell}, named {@code prefix}N. */
    public Guest container(String prefix, Guest.Shell shell) throws IOException {
        Guest g = Guest.container(castd, uniqueName(prefix), shell);
        guests.add(g);
        return g;
    }

    /** Like {@link #container(String, Guest.Shell)} but registered with {@code castctl container add}. */
    public Guest containerViaCastctl(String prefix, Guest.Shell shell) throws IOException {
        Guest g = Guest.container(castd, uniqueName(prefix), shell, Guest.Registration.CASTCTL);
        guests.add(g);
        return g;
    }

    /** A registered test container named exactly {@code name} (for names fixed by a casts.ini). */
    public Guest containerNamed(String name, Guest.Shell shell) throws IOException {
        Guest g = Guest.container(castd, name, shell);
        guests.add(g);
        return g;
    }

    /** A castd sandbox (dash), named {@code prefix}N. */
    public Guest sandbox(String prefix) {
        Guest g = Guest.sandbox(castd, uniqueName(prefix));
        guests.add(g);
        return g;
    }

    /** A fresh host folder (a real path) holding {@code file} with {@code content}; removed by {@link #endTest()}. */
    public Path hostDir(String file, String content) throws IOException {
        Path dir = Files.createTempDirectory("castd-it-host").toRealPath();
        hostDirs.add(dir);
        Files.writeString(dir.resolve(file), content);
        return dir;
    }

    public String castctlOk(String... args) {
        return castd.castctlOk(args);
    }

    public ExecResult castctl(String... args) {
        return castd.castctl(args);
    }

    /** Undoes the current test; runs every step even when one fails, then rethrows the first failure. */
    public void endTest() throws IOException {
        List<Throwable> failures = new ArrayList<>();
        for (Guest g : guests) {
            try {
                g.close();
            } catch (RuntimeException | Error e) {
                failures.add(e);
            }
        }
        guests.clear();
        try {
            AdminSocket.callOk(castd, "", "import", "-"); // an empty casts.ini: no shares, acceptances, blocks
        } catch (RuntimeException | Error e) {
            failures.add(e);
        }
        for (Path dir : hostDirs) {
            try {
                TestMounts.detachAllBeneath(dir);
                TestMounts.deleteTree(dir);
            } catch (IOException e) {
                failures.add(e);
            }
        }
        hostDirs.clear();
        if (!failures.isEmpty()) {
            IOException e = new IOException("cleanup after the test failed: " + failures.get(0), failures.get(0));
            failures.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }

    @Override
    public void close() throws IOException {
        Path top = castd.stateDir().getParent().toRealPath();
        try {
            endTest();
        } finally {
            castd.close(); // detaches every mount beneath its directory, fails if one is left, deletes it
        }
        if (!TestMounts.beneath(top).isEmpty()) throw new IOException("mounts left beneath " + top);
    }
}
