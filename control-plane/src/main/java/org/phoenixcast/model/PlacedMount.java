package org.phoenixcast.model;

/**
 * A share castd mounted in a receiver, as last verified in the receiver's mountinfo.
 * {@code device} ("major:minor") and {@code root} are the mount's mountinfo fields 3 and 4: with
 * the (reusable) mount id they say the mount is still the one castd placed. Both null while
 * not known (a PENDING row, or a row written before they were recorded).
 */
public record PlacedMount(ContainerName receiver, GuestPath target, SourceRef source, Access access,
                          long mountId, int receiverPid, String device, String root) {

    public PlacedMount(ContainerName receiver, GuestPath target, SourceRef source, Access access,
                       long mountId, int receiverPid) {
        this(receiver, target, source, access, mountId, receiverPid, null, null);
    }

    public boolean identityKnown() {
        return device != null && root != null;
    }

    /**
     * The same mount id and device (an unknown identity matches on the id alone). The root is
     * not compared here: mountinfo shows the source directory's current path, which changes when
     * the owner renames a directory above it; callers that chase a mount away from its target
     * compare it too ({@link #sameRoot}).
     */
    public boolean sameMount(long id, String mountDevice) {
        return id == mountId && (!identityKnown() || device.equals(mountDevice));
    }

    public boolean sameRoot(String mountRoot) {
        return identityKnown() && root.equals(mountRoot);
    }

    public PlacedMount withIdentity(String mountDevice, String mountRoot) {
        return new PlacedMount(receiver, target, source, access, mountId, receiverPid, mountDevice, mountRoot);
    }
}
