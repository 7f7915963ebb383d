package org.phoenixcast.mount;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.phoenixcast.linux.Errno;
import org.phoenixcast.linux.Fd;
import org.phoenixcast.linux.Kernel;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.linux.MountApi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * User namespaces that exist only to idmap mounts: one per composed mapping (see
 * {@link IdmapPlan}), created on first use and cached, at most {@link #CAPACITY} of them.
 *
 * <p>Creating one: a short-lived, single-threaded helper {@code unshare --user} (castd cannot
 * unshare a user namespace itself: the JVM is multithreaded) says "ready" once it runs in its new
 * namespace; castd, as host root in the parent namespace, writes the namespace's uid_map and
 * gid_map through the helper's pinned /proc/PID (pidfd first, liveness checked after), opens
 * its ns/user, checks it is not the host's and reads the maps back, then closes the helper's
 * stdin so it exits. The open fd keeps the namespace alive; no process stays behind. Nobody but
 * castd ever runs in these namespaces, and no guest input reaches the helper: the maps are
 * computed from /proc of the containers, as host root reads them.
 *
 * <p>An idmapped mount holds its own reference to its namespace, so evicting (closing) a cached
 * fd never changes a mount already made. {@link #acquire} hands out a duplicate fd, so an
 * eviction by another thread cannot close the fd under a caller that is still using it.
 */
final class IdmapNamespaces implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IdmapNamespaces.class);
    /**
     * Distinct owner/receiver mappings in use at once on a host are few (one per pair of
     * user-namespace layouts); 64 namespaces cost the kernel a few KiB each. An evicted one is
     * simply created again (~2-5 ms).
     */
    static final int CAPACITY = 64;
    private static final String HELPER_SCRIPT = "echo ready; read -r _ || true";

    private final Fd hostProc;
    private final int capacity;
    private final long hostUserNamespaceInode;
    private final AtomicLong created = new AtomicLong();
    /** Access-ordered: the least recently used namespace is evicted first. Guarded by this. */
    private final LinkedHashMap<UserNamespace, Fd> cache = new LinkedHashMap<>(16, 0.75f, true);
    private boolean closed;

    IdmapNamespaces(Fd hostProc, int capacity) throws LinuxException {
        if (capacity < 1) throw new IllegalArgumentException("capacity " + capacity);
        this.hostProc = hostProc;
        this.capacity = capacity;
        try (Fd own = Kernel.openat(hostProc, "self/ns/user", Kernel.O_RDONLY, 0)) {
            this.hostUserNamespaceInode = Kernel.stat(own).inode();
        }
    }

    /**
     * A user namespace whose uid_map and gid_map are exactly {@code mapping}, as a new fd the
     * caller closes. Runs on a host thread (never the namespace thread: it starts a process).
     */
    Fd acquire(UserNamespace mapping) throws IOException {
        if (mapping.isInitial()) throw new IllegalArgumentException("the initial mapping needs no idmap");
        synchronized (this) {
            if (closed) throw new IOException("idmap namespaces closed");
            Fd cached = cache.get(mapping);
            if (cached != null) return cached.dup();
        }
        Fd fresh = create(mapping);
        synchronized (this) {
            if (closed) {
                fresh.close();
                throw new IOException("idmap namespaces closed");
            }
            Fd raced = cache.get(mapping);
            if (raced != null) { // another thread created the same mapping meanwhile: keep one
                fresh.close();
                return raced.dup();
            }
            cache.put(mapping, fresh);
            while (cache.size() > capacity) {
                Map.Entry<UserNamespace, Fd> eldest = cache.entrySet().iterator().next();
                cache.remove(eldest.getKey());
                eldest.getValue().close();
                LOG.debug("idmap namespace for {} evicted", eldest.getKey());
            }
            return fresh.dup();
        }
    }

    /** How many namespaces were created so far (tests: a cached mapping creates none). */
    long createdCount() {
        return created.get();
    }

    synchronized int size() {
        return cache.size();
    }

    private Fd create(UserNamespace mapping) throws IOException {
        long started = System.nanoTime();
        Process helper = new ProcessBuilder("unshare", "--user", "--", "/bin/sh", "-c", HELPER_SCRIPT)
                .redirectErrorStream(true).start();
        try {
            String ready = readLine(helper.getInputStream());
            if (!"ready".equals(ready)) {
                String rest = new String(helper.getInputStream().readNBytes(4096), StandardCharsets.UTF_8).trim();
                throw new IOException("idmap namespace helper failed: " + (ready + " " + rest).trim());
            }
            int pid = (int) helper.pid();
            Fd userNamespace;
            try (Fd pidfd = MountApi.pidfdOpen(pid);
                 Fd proc = Kernel.openat(hostProc, Integer.toString(pid), Kernel.O_PATH | Kernel.O_DIRECTORY, 0)) {
                if (!MountApi.isAlive(pidfd)) throw new IOException("idmap namespace helper exited early");
                userNamespace = Kernel.openat(proc, "ns/user", Kernel.O_RDONLY, 0);
                try {
                    if (Kernel.stat(userNamespace).inode() == hostUserNamespaceInode) {
                        throw new IOException("idmap namespace helper still runs in the host's user namespace");
                    }
                    Kernel.writeAt(proc, "uid_map", mapping.uids().procFormat().getBytes(StandardCharsets.US_ASCII));
                    Kernel.writeAt(proc, "gid_map", mapping.gids().procFormat().getBytes(StandardCharsets.US_ASCII));
                    UserNamespace written = new UserNamespace(
                            IdMap.parse(new String(Kernel.readAt(proc, "uid_map", 65536), StandardCharsets.US_ASCII)),
                            IdMap.parse(new String(Kernel.readAt(proc, "gid_map", 65536), StandardCharsets.US_ASCII)));
                    if (!written.equals(mapping)) {
                        throw new LinuxException("write", "uid_map", Errno.EIO, "the namespace shows " + written
                                + " instead of " + mapping);
                    }
                } catch (IOException | RuntimeException e) {
                    userNamespace.close();
                    throw e;
                }
            }
            helper.getOutputStream().close();
            if (!helper.waitFor(5, TimeUnit.SECONDS)) LOG.warn("idmap namespace helper {} did not exit", pid);
            created.incrementAndGet();
            LOG.info("idmap namespace for {} created in {} us", mapping, (System.nanoTime() - started) / 1000);
            return userNamespace;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while creating an idmap namespace", e);
        } finally {
            if (helper.isAlive()) {
                helper.destroyForcibly();
                try {
                    helper.waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c; (c = in.read()) >= 0 && c != '\n' && line.length() < 4096; ) line.append((char) c);
        return line.toString();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        cache.values().forEach(Fd::close);
        cache.clear();
    }
}
