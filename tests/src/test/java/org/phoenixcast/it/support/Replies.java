package org.phoenixcast.it.support;

/** castd's replies as the tests read them. */
public final class Replies {
    private Replies() {}

    /**
     * The reply's first line ("ok" or "error: …"), without its '\n' (a reply always ends in one);
     * the whole text when it has none. Only '\n' ends the line: a '\r' a guest smuggled into a
     * name castd echoes stays in it.
     */
    public static String firstLine(String reply) {
        int nl = reply.indexOf('\n');
        return nl < 0 ? reply : reply.substring(0, nl);
    }
}
