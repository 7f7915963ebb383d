package org.phoenixcast.mount;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.phoenixcast.linux.DropDirectory;
import org.phoenixcast.linux.Fd;
import org.phoenixcast.linux.Inotify;
import org.phoenixcast.linux.Kernel;
import org.phoenixcast.linux.LinuxDropDirectory;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.linux.LinuxInotify;
import org.phoenixcast.linux.LinuxReplyDirectory;
import org.phoenixcast.linux.MountApi;
import org.phoenixcast.linux.NamespaceThread;
import org.phoenixcast.linux.ReplyDirectory;
import org.phoenixcast.model.GuestPath;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production {@link MountFacade}: jnr-ffi system calls, the new mount API and one
 * namespace thread. {@link #start()} checks the platform and warms up the namespace thread.
 */
public final class LinuxMountFacade implements MountFacade {
    private static final Logger LOG = LoggerFactory.getLogger(LinuxMountFacade.class);
    /**
     * How long a caller waits for a namespace task before setting its thread aside as stalled
     * (see {@link NamespaceThread}). Every task is a few system calls (µs to ms); only a guest
     * file system that does not answer (a stopped FUSE daemon) takes longer. The single worker
     * waits this long once per stall, so it bounds how long one guest's stall can delay the
     * others: a few seconds, not the 10 s it used to be.
     */
    static final long NAMESPACE_TIMEOUT_MILLIS = 3_000;
    /** Default place for castd's runtime state that must not outlive a reboot (read-only staging). */
    public static final Path DEFAULT_RUNTIME_DIRECTORY = Path.of("/run/phoenix-cast");

    private final NamespaceThread ns;
    private final Fd hostProc;
    private final ControlTmpfs tmpfs;
    private final Injector injector;
    private final ReadOnlyLock readOnlyLock;
    private final IdmapNamespaces idmapNamespaces;

    private LinuxMountFacade(NamespaceThread ns, Fd hostProc, ReadOnlyLock readOnlyLock, IdmapNamespaces idmapNamespaces) {
        this.ns = ns;
        this.hostProc = hostProc;
        this.readOnlyLock = readOnlyLock;
        this.idmapNamespaces = idmapNamespaces;
        this.tmpfs = new ControlTmpfs(hostProc);
        this.injector = new Injector(ns, hostProc, tmpfs::devices, readOnlyLock, idmapNamespaces);
    }

    /** {@link #start(Path)} with {@link #DEFAULT_RUNTIME_DIRECTORY}. */
    public static LinuxMountFacade start() {
        return start(DEFAULT_RUNTIME_DIRECTORY);
    }

    /**
     * Probes libc and the kernel, starts the namespace thread, builds the read-only lock
     * namespace (staging under {@code runtimeDirectory}, created 0700 if missing) and warms up.
     *
     * @throws IllegalStateException with one line naming what is missing
     */
    public static LinuxMountFacade start(Path runtimeDirectory) {
        String problem;
        try {
            problem = MountApi.probe();
        } catch (Throwable t) {
            problem = "jnr-ffi could not load libc: " + t;
        }
        if (problem != null) throw new IllegalStateException(problem);
        NamespaceThread ns = null;
        Fd hostProc = null;
        ReadOnlyLock lock = null;
        try {
            hostProc = Kernel.openHost(Path.of("/proc"), Kernel.O_PATH | Kernel.O_DIRECTORY);
            ns = NamespaceThread.start(NAMESPACE_TIMEOUT_MILLIS);
            lock = ReadOnlyLock.create(ns, hostProc, runtimeDirectory);
            LinuxMountFacade facade = new LinuxMountFacade(ns, hostProc, lock,
                    new IdmapNamespaces(hostProc, IdmapNamespaces.CAPACITY));
            facade.warmUp();
            return facade;
        } catch (Exception e) {
            if (lock != null) lock.close();
            if (ns != null) ns.close();
            if (hostProc != null) hostProc.close();
            throw new IllegalStateException("cannot start the mount facade: " + e.getMessage(), e);
        }
    }

    private void warmUp() throws Exception {
        Path scratch = Files.createTempDirectory("castd-warmup");
        try {
            injector.warmUp(scratch);
            readOnlyLock.open();
            injector.warmUpReadOnly(scratch);
        } finally {
            try (Stream<Path> walk = Files.walk(scratch)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
        LOG.debug("namespace thread warmed up");
    }

    static LinuxContainerHandle linux(ContainerHandle handle) {
        if (handle instanceof LinuxContainerHandle h) return h;
        throw new IllegalArgumentException("not a handle of this facade: " + handle);
    }

    @Override
    public ContainerHandle open(int pid) throws LinuxException {
        return LinuxContainerHandle.open(pid);
    }

    @Override
    public long inject(ContainerHandle receiver, MountSpec spec) throws IOException, MountRefused {
        return injector.inject(linux(receiver), spec);
    }

    @Override
    public java.util.OptionalLong findPlaced(ContainerHandle receiver, MountSpec spec) throws IOException, MountRefused {
        return injector.findPlaced(linux(receiver), spec);
    }

    @Override
    public void detach(ContainerHandle receiver, GuestPath unsafeTarget, long mountId) throws IOException {
        injector.detach(linux(receiver), unsafeTarget, mountId);
    }

    @Override
    public void detachMoved(ContainerHandle receiver, String unsafeMountPoint, long mountId, String device, String root)
            throws IOException {
        injector.detachMoved(linux(receiver), unsafeMountPoint, mountId, device, root);
    }

    @Override
    public List<MountInfo> mountTable(ContainerHandle container) throws IOException {
        return MountTable.read(linux(container).procDir());
    }

    @Override
    public String ensureTmpfs(Path hostDirectory, long maxBytes, long maxInodes, int mode) throws IOException {
        return tmpfs.ensure(hostDirectory, maxBytes, maxInodes, mode);
    }

    @Override
    public void removeTmpfs(Path hostDirectory) throws IOException {
        tmpfs.remove(hostDirectory);
    }

    @Override
    public DropDirectory openDropDirectory(Path hostDirectory) throws LinuxException {
        return LinuxDropDirectory.open(hostDirectory);
    }

    @Override
    public ReplyDirectory openReplyDirectory(Path hostDirectory) throws LinuxException {
        return LinuxReplyDirectory.open(hostDirectory);
    }

    @Override
    public Inotify newInotify() throws LinuxException {
        return LinuxInotify.create();
    }

    /** The read-only lock (tests). */
    ReadOnlyLock readOnlyLock() {
        return readOnlyLock;
    }

    /** The idmap namespaces (tests). */
    IdmapNamespaces idmapNamespaces() {
        return idmapNamespaces;
    }

    @Override
    public void close() {
        idmapNamespaces.close();
        readOnlyLock.close();
        ns.close();
        hostProc.close();
    }
}
