package org.phoenixcast.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.phoenixcast.it.support.CastdProcess;
import org.phoenixcast.it.support.DropGuest;
import org.phoenixcast.it.support.ExecResult;
import org.phoenixcast.testing.RequiresRoot;

/**
 * castd's database and admin socket are reachable by host root only. A non-root local user
 * (uid/gid 65534, no supplementary groups, via {@code setpriv}) tries what an attacker on the
 * host would: list and traverse the state directory, read the database file, open the database
 * with H2's own JDBC driver, and connect to castctl's Unix socket. Host root bypasses
 * permission checks, so every attempt runs with dropped privileges, and the same attempt as
 * root must succeed (else the test could not fail). castd must have no TCP or UDP socket at all.
 */
@RequiresRoot(tools = {"setpriv", "java"})
class StateAccessIT {
    private static final String NOBODY = "65534";

    private CastdProcess castd;
    private Path tools;

    @BeforeEach
    void start() throws Exception {
        castd = CastdProcess.start();
        // Files the unprivileged user needs (its own client and H2's jar), in a world-readable place.
        tools = Files.createTempDirectory("state-access-tools");
        Files.setPosixFilePermissions(tools, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(tools.resolve("Probe.java"), PROBE);
        Files.copy(h2Jar(), tools.resolve("h2.jar"));
        for (Path p : List.of(tools.resolve("Probe.java"), tools.resolve("h2.jar"))) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    @AfterEach
    void stop() throws IOException {
        try {
            if (castd != null) castd.close();
        } finally {
            if (tools != null) {
                try (Stream<Path> files = Files.list(tools)) {
                    for (Path p : files.toList()) Files.deleteIfExists(p);
                }
                Files.deleteIfExists(tools);
            }
        }
    }

    @Test
    void aLocalNonRootUserCanNeitherReadTheDatabaseNorReachCastd() throws Exception {
        // Something in every table castd writes for a guest: a request, its reply, history.
        DropGuest a = DropGuest.sandbox(castd, "a");
        assertThat(a.request("showcast", "1", "")).startsWith("ok");

        Path state = castd.stateDir();
        Path db = state.resolve("db");
        SoftAssertions soft = new SoftAssertions();

        soft.assertThat(mode(state)).as("state directory").isEqualTo("rwx------");
        soft.assertThat(mode(db)).as("database directory").isEqualTo("rwx------");
        try (Stream<Path> files = Files.list(db)) {
            for (Path f : files.toList()) soft.assertThat(mode(f)).as("database file %s", f.getFileName()).isEqualTo("rw-------");
        }
        soft.assertThat(mode(state.resolve("castd.sock"))).as("admin socket").isEqualTo("rw-------");

        // Layer 1: the 0700 directories. Root can (the control that makes the attempts mean something;
        // only H2 is refused to root too while castd holds the database's file lock).
        Map<String, String> nobody = probe(true);
        soft.assertThat(nobody).as("nobody, state directory 0700").containsOnlyKeys(ATTEMPTS)
                .allSatisfy((what, outcome) -> assertThat(outcome).as(what).startsWith("denied"));
        Map<String, String> root = probe(false);
        for (String what : List.of("list", "read", "connect")) soft.assertThat(root.get(what)).as("root: %s", what).startsWith("ok");
        soft.assertThat(root.get("h2")).as("root opens the database while castd runs").contains("in use");

        // Layer 2: an admin loosens the directories to 0711: the file's and the socket's own 0600 still hold.
        List<Path> dirs = List.of(state.getParent(), state, db);
        List<Set<PosixFilePermission>> modes = new ArrayList<>();
        for (Path d : dirs) modes.add(Files.getPosixFilePermissions(d));
        Map<String, String> loosened;
        try {
            for (Path d : dirs) Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx--x--x"));
            loosened = probe(true);
        } finally {
            for (int i = dirs.size() - 1; i >= 0; i--) Files.setPosixFilePermissions(dirs.get(i), modes.get(i));
        }
        soft.assertThat(loosened).as("nobody, directories 0711").containsOnlyKeys(ATTEMPTS)
                .allSatisfy((what, outcome) -> assertThat(outcome).as(what).startsWith("denied"));
        soft.assertThat(loosened.get("connect")).as("the socket's own mode refuses nobody").contains("Permission denied");
        soft.assertThat(loosened.get("read")).as("the file's own mode refuses nobody").contains("AccessDenied");

        // No network socket at all: castd's socket fds against its network namespace's TCP and UDP tables.
        Set<String> inet = inetSocketInodes(castd.pid());
        List<String> castdSockets = socketInodes(castd.pid());
        soft.assertThat(castdSockets).as("castd has socket fds (its admin socket at least)").isNotEmpty();
        soft.assertThat(castdSockets).as("castd's TCP/UDP sockets").noneMatch(inet::contains);
        // The same check finds a TCP listener where there is one: this JVM's own.
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            soft.assertThat(socketInodes(ProcessHandle.current().pid())).as("this JVM's listener is found (control)")
                    .anyMatch(inetSocketInodes(ProcessHandle.current().pid())::contains);
        }
        System.out.printf("StateAccessIT: castd (pid %d) holds %d sockets, %d of them TCP/UDP; nobody: %s%n", castd.pid(),
                castdSockets.size(), castdSockets.stream().filter(inet::contains).count(), nobody);

        // With castd stopped the database is no longer locked: root opens it with H2's JDBC
        // driver, nobody (even through 0711 directories) still cannot.
        castd.castctlOk("sandbox", "rm", "a"); // close() removes sandboxes only through a running castd
        castd.stop();
        soft.assertThat(probe(false).get("h2")).as("root opens the stopped database").startsWith("ok").contains("REQUEST");
        soft.assertAll();
    }

    private static final String[] ATTEMPTS = {"list", "read", "connect", "h2"};

    /** Runs the probe (as nobody or as root) against castd's state; attempt → "ok …" or "denied …". */
    private Map<String, String> probe(boolean asNobody) {
        Path state = castd.stateDir();
        List<String> cmd = new ArrayList<>(List.of("java", "-Duser.home=" + tools, "-cp", tools.resolve("h2.jar").toString(),
                tools.resolve("Probe.java").toString(), state.toString(), state.resolve("db/castd.mv.db").toString(),
                state.resolve("castd.sock").toString(), "jdbc:h2:file:" + state.resolve("db/castd") + ";IFEXISTS=TRUE"));
        if (asNobody) cmd.addAll(0, List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
        ExecResult r = run(cmd);
        if (!r.succeeded()) throw new AssertionError("probe failed: " + r);
        Map<String, String> outcomes = new java.util.TreeMap<>();
        for (String line : r.stdout().lines().toList()) {
            int colon = line.indexOf(": ");
            if (colon > 0) outcomes.put(line.substring(0, colon), line.substring(colon + 2));
        }
        return outcomes;
    }

    /** The H2 jar castd uses (from this test's class path). */
    private static Path h2Jar() throws Exception {
        return Path.of(org.h2.Driver.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static ExecResult run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).directory(Path.of("/").toFile()).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new ExecResult(-1, "", "timed out");
            }
            return new ExecResult(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
        } catch (IOException | InterruptedException e) {
            return new ExecResult(-1, "", e.toString());
        }
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    /** Inodes of every socket in /proc/PID/fd ("socket:[N]" → N). */
    private static List<String> socketInodes(long pid) throws IOException {
        List<String> inodes = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) inodes.add(target.substring(8, target.length() - 1));
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        return inodes;
    }

    /** Inodes of every TCP and UDP socket (v4 and v6) in PID's network namespace. */
    private static Set<String> inetSocketInodes(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        for (String table : List.of("tcp", "tcp6", "udp", "udp6")) {
            Path p = Path.of("/proc", Long.toString(pid), "net", table);
            if (!Files.exists(p)) continue;
            for (String line : Files.readAllLines(p).stream().skip(1).toList()) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9) inodes.add(f[9]);
            }
        }
        return inodes;
    }

    /**
     * What a local user would try, each attempt on its own, one line each: "ATTEMPT: ok DETAIL"
     * or "ATTEMPT: denied EXCEPTION". Run with H2's jar on the class path.
     */
    private static final String PROBE = """
            import java.net.StandardProtocolFamily;
            import java.net.UnixDomainSocketAddress;
            import java.nio.channels.SocketChannel;
            import java.nio.file.Files;
            import java.nio.file.Path;
            import java.sql.DriverManager;
            import java.util.concurrent.Callable;

            public class Probe {
                public static void main(String[] args) {
                    attempt("list", () -> Files.list(Path.of(args[0])).count() + " entries");
                    attempt("read", () -> Files.readAllBytes(Path.of(args[1])).length + " bytes");
                    attempt("connect", () -> {
                        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                            c.connect(UnixDomainSocketAddress.of(args[2]));
                            return "connected";
                        }
                    });
                    attempt("h2", () -> {
                        try (var c = DriverManager.getConnection(args[3], "castd", "");
                             var rs = c.createStatement().executeQuery(
                                 "SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'PUBLIC'")) {
                            StringBuilder tables = new StringBuilder();
                            while (rs.next()) tables.append(rs.getString(1)).append(' ');
                            return tables.toString().trim();
                        }
                    });
                }

                static void attempt(String what, Callable<String> action) {
                    try {
                        System.out.println(what + ": ok " + action.call());
                    } catch (Exception e) {
                        System.out.println(what + ": denied " + String.valueOf(e).replace('\\n', ' '));
                    }
                }
            }
            """;
}
