package org.phoenixcast.mount;

/**
 * One line of /proc/PID/mountinfo. {@code mountPoint} is relative to that process's root with
 * the kernel's octal escapes (\040 etc.) decoded; {@code device} is "major:minor".
 */
public record MountInfo(long mountId, long parentId, String device, String root, String mountPoint,
                        String options, String fsType, String source, String superOptions) {

    public boolean readOnly() {
        for (String o : options.split(",")) if (o.equals("ro")) return true;
        return false;
    }
}
