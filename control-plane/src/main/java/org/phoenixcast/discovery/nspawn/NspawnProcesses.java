package org.phoenixcast.discovery.nspawn;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.phoenixcast.linux.ProcessStat;

/**
 * The host's /proc as the nspawn adapter reads it: systemd-nspawn processes and the PID 1 of the
 * container each one spawned. Everything here is written by the kernel about host processes;
 * the only guest-influenced values (a guest process's comm and exe) are used to decide "not
 * ready yet", never to name or pick a container.
 */
final class NspawnProcesses {
    /** The name nspawn gives its PID 1 in --as-pid2 mode once the payload runs (a fork, no exec). */
    static final String STUB_INIT = "(sd-stubinit)";
    private static final Path PROC = Path.of("/proc");

    /** One systemd-nspawn process of host root in the host's PID namespace. */
    record Nspawn(int pid, int ppid, long startTime, String exe, List<String> argv, String cwd) {}

    /** A container's PID 1 as the host sees it. */
    record Init(int pid, long startTime) {}

    private NspawnProcesses() {}

    /**
     * Every process whose executable is a file named systemd-nspawn, that runs as host root, in
     * castd's own PID namespace and with the host's root directory: a guest's processes live in a
     * child PID namespace (or, with the host's PID namespace shared, under their own root), so a
     * copy of the binary started inside a container does not count. A container that shares the
     * host's PID namespace, root and uid 0 is host-equivalent anyway. nspawn's own forks (while it sets
     * up a container, a child of nspawn runs nspawn's code with its argv) are left out: only
     * processes whose parent is not one of them count.
     */
    static List<Nspawn> find() throws IOException {
        String hostPidNamespace = Files.readSymbolicLink(PROC.resolve("self/ns/pid")).toString();
        Object hostRoot = Files.readAttributes(Path.of("/"), java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        List<Nspawn> found = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (!isPid(name)) continue;
                try {
                    String exe = Files.readSymbolicLink(p.resolve("exe")).toString();
                    if (!isNspawnBinary(exe)) continue;
                    if (effectiveUid(Files.readString(p.resolve("status"), StandardCharsets.ISO_8859_1)) != 0) continue;
                    if (!Files.readSymbolicLink(p.resolve("ns/pid")).toString().equals(hostPidNamespace)) continue;
                    // a container sharing the host's PID namespace (docker --pid=host) still has its own
                    // root: stat through the magic link, nothing is opened
                    Object root = Files.readAttributes(p.resolve("root"), java.nio.file.attribute.BasicFileAttributes.class).fileKey();
                    if (!hostRoot.equals(root)) continue;
                    List<String> argv = argv(Files.readAllBytes(p.resolve("cmdline")));
                    String cwd = Files.readSymbolicLink(p.resolve("cwd")).toString();
                    Optional<ProcessStat> stat = ProcessStat.read(Integer.parseInt(name));
                    if (stat.isEmpty() || !stat.get().running()) continue;
                    found.add(new Nspawn(Integer.parseInt(name), stat.get().ppid(), stat.get().startTime(), exe, argv, cwd));
                } catch (IOException | RuntimeException e) {
                    // a kernel thread (no exe), or a process that exited while being read
                }
            }
        }
        Set<Integer> pids = new java.util.HashSet<>();
        found.forEach(n -> pids.add(n.pid()));
        return found.stream().filter(n -> !pids.contains(n.ppid())).toList();
    }

    /**
     * The container's PID 1: the child of the nspawn process that is PID 1 of its own PID
     * namespace, once it runs the container's init. Before that, the child is nspawn itself
     * still setting up mounts (its exe is nspawn's); reporting it then would let castd mount
     * into a half-built namespace. In --as-pid2 mode PID 1 stays nspawn's stub and is ready once
     * it renamed itself to "(sd-stubinit)" after the setup.
     */
    static Optional<Init> initOf(Nspawn nspawn) throws IOException {
        List<Init> inits = new ArrayList<>();
        for (int child : children(nspawn.pid())) {
            try {
                Path p = PROC.resolve(Integer.toString(child));
                List<Integer> nspid = namespacePids(Files.readString(p.resolve("status"), StandardCharsets.ISO_8859_1));
                if (nspid.size() < 2 || nspid.get(nspid.size() - 1) != 1) continue; // not a PID namespace's init
                Optional<ProcessStat> stat = ProcessStat.read(child);
                if (stat.isEmpty() || !stat.get().running() || stat.get().ppid() != nspawn.pid()) continue;
                String exe = Files.readSymbolicLink(p.resolve("exe")).toString();
                boolean ready = !exe.equals(nspawn.exe()) || stat.get().comm().equals(STUB_INIT);
                if (ready) inits.add(new Init(child, stat.get().startTime()));
            } catch (IOException | RuntimeException e) {
                // exited while being read
            }
        }
        if (inits.size() > 1) throw new IOException("nspawn " + nspawn.pid() + " has " + inits.size() + " PID namespace inits");
        return inits.stream().findFirst();
    }

    /** The children of every thread of a process (/proc/PID/task/TID/children). */
    static Set<Integer> children(int pid) throws IOException {
        Set<Integer> children = new LinkedHashSet<>();
        Path tasks = PROC.resolve(pid + "/task");
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(tasks)) {
            for (Path t : entries) {
                try {
                    for (String c : Files.readString(t.resolve("children")).trim().split("\\s+")) {
                        if (isPid(c)) children.add(Integer.parseInt(c));
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // the thread ended
                }
            }
        } catch (java.nio.file.NoSuchFileException e) {
            return Set.of();
        }
        return children;
    }

    /** True for "/usr/bin/systemd-nspawn", also after the package was upgraded under it. */
    static boolean isNspawnBinary(String exe) {
        String base = exe.substring(exe.lastIndexOf('/') + 1);
        return base.equals("systemd-nspawn") || base.equals("systemd-nspawn (deleted)");
    }

    /** The effective uid from /proc/PID/status ("Uid: real effective saved fs"). */
    static int effectiveUid(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("Uid:")) return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]);
        }
        throw new IllegalArgumentException("no Uid line");
    }

    /** The NSpid line: the PID in each nested PID namespace, outermost first. */
    static List<Integer> namespacePids(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("NSpid:")) {
                return Arrays.stream(line.substring(6).trim().split("\\s+")).map(Integer::valueOf).toList();
            }
        }
        throw new IllegalArgumentException("no NSpid line");
    }

    /** /proc/PID/cmdline: NUL-terminated arguments. */
    static List<String> argv(byte[] cmdline) {
        List<String> args = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < cmdline.length; i++) {
            if (cmdline[i] == 0) {
                args.add(new String(cmdline, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < cmdline.length) args.add(new String(cmdline, start, cmdline.length - start, StandardCharsets.UTF_8));
        return args;
    }

    private static boolean isPid(String s) {
        if (s.isEmpty() || s.length() > 10) return false;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
        return true;
    }
}
