package org.phoenixcast.model;

/** Renders untrusted text for one-line messages and logs: control characters escaped, length capped. */
public final class Printable {
    /** Long enough to recognise an input, short enough that a reply stays one readable line. */
    public static final int MAX_CHARS = 120;

    private Printable() {}

    public static String quote(String untrusted) {
        if (untrusted == null) return "(none)";
        StringBuilder out = new StringBuilder("'");
        int limit = Math.min(untrusted.length(), MAX_CHARS);
        for (int i = 0; i < limit; i++) {
            char c = untrusted.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                out.append(String.format("\\x%02x", (int) c));
            } else if (c == '\'' || c == '\\') {
                out.append('\\').append(c);
            } else {
                out.append(c);
            }
        }
        if (untrusted.length() > limit) out.append("...(").append(untrusted.length()).append(" chars)");
        return out.append('\'').toString();
    }
}
