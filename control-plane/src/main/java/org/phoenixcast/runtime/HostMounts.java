package org.phoenixcast.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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

    /** Mount points from {@code mountinfo} text equal to {@code dir} or beneath it. */
    static List<Path> beneath(String mountinfo, Path dir) {
        List<Path> found = new ArrayList<>();
        for (String line : mountinfo.split("\n")) {
            String[] fields = line.split(" ");
            if (fields.length < 5) continue;
            Path mountPoint = Path.of(decode(fields[4]));
            if (mountPoint.startsWith(dir)) found.add(mountPoint);
        }
        return found;
    }

    static List<Path> beneath(Path dir) throws IOException {
        return beneath(Files.readString(SELF_MOUNTINFO, StandardCharsets.UTF_8), dir);
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

    /** Undoes the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash). */
    static String decode(String field) {
        if (field.indexOf('\\') < 0) return field;
        byte[] in = field.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[in.length];
        int n = 0;
        for (int i = 0; i < in.length; i++) {
            if (in[i] == '\\' && i + 3 < in.length && isOctal(in[i + 1]) && isOctal(in[i + 2]) && isOctal(in[i + 3])) {
                out[n++] = (byte) (((in[i + 1] - '0') << 6) | ((in[i + 2] - '0') << 3) | (in[i + 3] - '0'));
                i += 3;
            } else {
                out[n++] = in[i];
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    private static boolean isOctal(byte b) {
        return b >= '0' && b <= '7';
    }
}
