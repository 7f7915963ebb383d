package org.phoenixcast.model;

/** How a receiver may use a share. Read-only is enforced by the kernel, not by trust. */
public enum Access {
    READ_ONLY("ro"),
    READ_WRITE("rw");

    private final String label;

    Access(String label) {
        this.label = label;
    }

    /** "ro" or "rw", as in showcast output, casts.ini and the database. */
    public String label() {
        return label;
    }

    public static Access ofLabel(String label) {
        for (Access a : values()) {
            if (a.label.equals(label)) return a;
        }
        throw new IllegalArgumentException("invalid access " + Printable.quote(label) + ": use ro or rw");
    }
}
