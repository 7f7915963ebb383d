package org.phoenixcast.channel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import org.phoenixcast.linux.DropDirectory;
import org.phoenixcast.linux.LinuxException;
import org.phoenixcast.linux.ReplyDirectory;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.Verb;
import org.phoenixcast.mount.ContainerHandle;
import org.phoenixcast.mount.MountFacade;
import org.phoenixcast.mount.MountInfo;
import org.phoenixcast.mount.MountRefused;
import org.phoenixcast.mount.MountSource;
import org.phoenixcast.mount.MountSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One guest's two castd directories. On the host they live under STATE/guests/NAME as two
 * small tmpfs mounts; inside the guest:
 * <ul>
 *   <li>{@code /.syscmd} — the drop directory (rw, noexec, nosuid, nodev), bounded in bytes and
 *       inodes so a guest cannot fill host disk or memory through it;</li>
 *   <li>{@code /syscmd} — read-only: the enabled guest commands, {@code replies/} and {@code status}.</li>
 * </ul>
 *
 * <p>Security: both are tmpfs instances of their own, so nothing a guest does in them touches
 * the host's disk; castd writes replies only through held directory fds (see ReplyDirectory).
 * NOTE: a guest root holding CAP_SYS_ADMIN over its mount namespace can remount /syscmd rw and
 * tamper with its own replies and status; it only misleads itself, and the tmpfs bounds it.
 */
public final class GuestChannel implements AutoCloseable {
    public static final GuestPath DROP_TARGET = GuestPath.parse("/.syscmd");
    public static final GuestPath SYSCMD_TARGET = GuestPath.parse("/syscmd");
    /** Room for the scripts, a status file and the retained replies. */
    private static final long SYSCMD_MAX_BYTES = 4L << 20;
    private static final long SYSCMD_MAX_INODES = 2048;
    /** Sticky and writable by all, not listable by others: a guest's own users cannot see each other's requests. */
    private static final int DROP_MODE = 01733;
    private static final Logger log = LoggerFactory.getLogger(GuestChannel.class);

    private final ContainerName name;
    private final Path hostDrop;
    private final Path hostSyscmd;
    private final String dropDevice;
    private final String syscmdDevice;
    private final DropDirectory drop;
    private final ReplyDirectory syscmd;
    private final ReplyDirectory replies;
    private String lastStatus;
    /** Replies castd wrote, oldest first, with when; pruned by count and age (see {@link #pruneReplies}). */
    private final java.util.LinkedHashMap<String, java.time.Instant> replyAges = new java.util.LinkedHashMap<>();
    /** Replies kept per guest: far more than a guest waits for at once, far below the tmpfs inode bound. */
    static final int MAX_KEPT_REPLIES = 512;

    private GuestChannel(ContainerName name, Path hostDrop, Path hostSyscmd, String dropDevice, String syscmdDevice,
                         DropDirectory drop, ReplyDirectory syscmd, ReplyDirectory replies) {
        this.name = name;
        this.hostDrop = hostDrop;
        this.hostSyscmd = hostSyscmd;
        this.dropDevice = dropDevice;
        this.syscmdDevice = syscmdDevice;
        this.drop = drop;
        this.syscmd = syscmd;
        this.replies = replies;
    }

    /** Creates (or finds, after a castd restart) the host side of a guest's directories. */
    public static GuestChannel open(MountFacade kernel, Path guestsDir, ContainerName name, long dropMaxBytes,
                                    long dropMaxInodes) throws IOException {
        Path base = guestsDir.resolve(name.value());
        Files.createDirectories(base);
        Files.setPosixFilePermissions(guestsDir, PosixFilePermissions.fromString("rwx------"));
        Path hostDrop = base.resolve("drop");
        Path hostSyscmd = base.resolve("syscmd");
        String dropDev = kernel.ensureTmpfs(hostDrop, dropMaxBytes, dropMaxInodes, DROP_MODE);
        String syscmdDev = kernel.ensureTmpfs(hostSyscmd, SYSCMD_MAX_BYTES, SYSCMD_MAX_INODES, 0755);
        DropDirectory drop = kernel.openDropDirectory(hostDrop);
        ReplyDirectory syscmd = kernel.openReplyDirectory(hostSyscmd);
        ReplyDirectory replies = syscmd.subdirectory("replies");
        GuestChannel channel = new GuestChannel(name, hostDrop, hostSyscmd, dropDev, syscmdDev, drop, syscmd, replies);
        // Replies left from before a castd restart age from now.
        java.time.Instant now = java.time.Instant.now();
        for (String existing : replies.list()) {
            if (!existing.startsWith(".")) channel.replyAges.put(existing, now);
        }
        return channel;
    }

    public ContainerName name() {
        return name;
    }

    /** The host path of the drop directory, for the inotify watch. */
    public Path hostDrop() {
        return hostDrop;
    }

    public DropDirectory drop() {
        return drop;
    }

    /** Installs the script under each enabled verb's name and removes the disabled ones. */
    public void installCommands(byte[] script, Set<Verb> enabled) throws LinuxException {
        for (Verb v : Verb.values()) {
            if (enabled.contains(v)) syscmd.writeAtomically(v.word(), script, 0555);
            else syscmd.remove(v.word());
        }
    }

    /**
     * Makes sure the guest sees both directories: each must be the topmost mount at its path in
     * the guest's mountinfo with our tmpfs device; otherwise (first start, restart, or the guest
     * unmounted or over-mounted it) it is mounted again on top.
     *
     * @return true when something had to be mounted
     */
    public boolean attach(MountFacade kernel, ContainerHandle guest) throws IOException, MountRefused {
        List<MountInfo> table = kernel.mountTable(guest);
        boolean changed = false;
        if (!isTopmost(table, DROP_TARGET, dropDevice)) {
            kernel.inject(guest, new MountSpec(new MountSource.HostPath(hostDrop), DROP_TARGET, Access.READ_WRITE, true));
            changed = true;
        }
        if (!isTopmost(table, SYSCMD_TARGET, syscmdDevice)) {
            kernel.inject(guest, new MountSpec(new MountSource.HostPath(hostSyscmd), SYSCMD_TARGET, Access.READ_ONLY, false));
            changed = true;
        }
        if (changed) log.info("container={} attached /.syscmd and /syscmd", name);
        return changed;
    }

    private static boolean isTopmost(List<MountInfo> table, GuestPath target, String device) {
        MountInfo top = null;
        for (MountInfo m : table) {
            if (m.mountPoint().equals(target.value())) top = m;
        }
        return top != null && top.device().equals(device);
    }

    /** Thread contract: replies are written by the worker and the watcher; the ages map is guarded. */
    public void writeReply(String replyName, String content) throws LinuxException {
        replies.writeAtomically(replyName, content.getBytes(StandardCharsets.UTF_8), 0444);
        synchronized (replyAges) {
            replyAges.remove(replyName);
            replyAges.put(replyName, java.time.Instant.now());
        }
        pruneReplies(java.time.Instant.MIN);
    }

    /**
     * Removes the oldest replies beyond {@value #MAX_KEPT_REPLIES} and every reply written before
     * {@code olderThan}, so the bounded /syscmd tmpfs never fills with answers nobody reads.
     */
    public void pruneReplies(java.time.Instant olderThan) throws LinuxException {
        List<String> doomed = new java.util.ArrayList<>();
        synchronized (replyAges) {
            var it = replyAges.entrySet().iterator();
            while (it.hasNext()) {
                var e = it.next();
                if (replyAges.size() - doomed.size() <= MAX_KEPT_REPLIES && !e.getValue().isBefore(olderThan)) break;
                doomed.add(e.getKey());
                it.remove();
            }
        }
        for (String name : doomed) replies.remove(name);
    }

    public void removeReply(String replyName) throws LinuxException {
        replies.remove(replyName);
        synchronized (replyAges) {
            replyAges.remove(replyName);
        }
    }

    /** Writes /syscmd/status when its content changed. */
    public void writeStatus(List<String> lines) throws LinuxException {
        String content = String.join("\n", lines) + (lines.isEmpty() ? "" : "\n");
        if (content.equals(lastStatus)) return;
        syscmd.writeAtomically("status", content.getBytes(StandardCharsets.UTF_8), 0444);
        lastStatus = content;
    }

    @Override
    public void close() {
        drop.close();
        replies.close();
        syscmd.close();
    }
}
