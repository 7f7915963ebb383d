package org.phoenixcast.model;

/** A shared folder named by its owner and its path there, written {@code OWNER:/path}. */
public record SourceRef(Owner owner, GuestPath path) {
    public SourceRef {
        if (owner == null || path == null) throw new IllegalArgumentException("source needs owner and path");
    }

    /**
     * Parses {@code OWNER:/path}, e.g. {@code 104:/var/tmp}, {@code lxc:web:/srv} or
     * {@code host:/usr/portage}: the owner ends at the first ":/" (an owner may itself hold one
     * ':', its runtime qualifier; a path always starts with '/').
     */
    public static SourceRef parse(String unsafeText) {
        int colon = unsafeText == null ? -1 : unsafeText.indexOf(":/");
        if (colon < 0 && unsafeText != null) colon = unsafeText.lastIndexOf(':'); // then the path is refused below
        if (colon <= 0) {
            throw new IllegalArgumentException("invalid source " + Printable.quote(unsafeText)
                    + ": expected OWNER:/PATH, e.g. web1:/srv/data or host:/usr/portage");
        }
        return new SourceRef(Owner.parse(unsafeText.substring(0, colon)),
                GuestPath.parse(unsafeText.substring(colon + 1)));
    }

    @Override
    public String toString() {
        return owner.name() + ":" + path.value();
    }
}
