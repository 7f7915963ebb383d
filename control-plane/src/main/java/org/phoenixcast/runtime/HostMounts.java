package org.phoenixcast.runtime;

import org.phoenixcast.mount.MountInfo;
import org.phoenixcast.mount.MountTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.phoenixcast.model.ContainerName;

/**
 * The host's mount table as far as sandboxes care: which mount points lie at or beneath a
 * directory, and detaching them before that directory is deleted.
 */
final class HostMounts {
    static final Path SELF_MOUNTINFO = Path.of("/proc/self/mountinfo");

    private HostMounts() {}

    /** Mount points in raw {@code mountinfo} equal to {@code dir} or beneath it. */
    static List<Path> beneath(byte[] mountinfo, Path dir) {
        List<Path> found = new ArrayList<>();
        for (MountInfo m : MountTable.parse(mountinfo)) {
            Path mountPoint = Path.of(m.mountPoint());
            if (mountPoint.startsWith(dir)) found.add(mountPoint);
        }
        return found;
    }

    static List<Path> beneath(Path dir) throws IOException {
        return beneath(Files.readAllBytes(SELF_MOUNTINFO), dir);
    }

    /**
     * Lazily detaches every host mount at or beneath {@code dir}, deepest first, then checks that
     * none is left. Called on a stopped sandbox, so the guest cannot rename directories under
     * the mount points meanwhile.
     *
     * @throws SandboxException if a mount could not be detached or one is still there afterwards
     */
    static void detachAllBeneath(ContainerName sandbox, Path dir) throws IOException {
        List<Path> mounts = beneath(dir);
        mounts.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        for (Path m : mounts) {
            HelperCommand.run(sandbox, List.of("umount", "--lazy", m.toString()));
        }
        List<Path> left = beneath(dir);
        if (!left.isEmpty()) {
            throw new SandboxException(sandbox, "still mounted beneath " + dir + " on the host: " + left);
        }
    }
}
