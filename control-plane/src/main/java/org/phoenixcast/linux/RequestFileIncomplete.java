package org.phoenixcast.linux;

/**
 * A request file that some process still has open for writing: not refused, not taken; castd
 * looks at it again when the writer closes it (IN_CLOSE_WRITE) or at the next rescan.
 */
public class RequestFileIncomplete extends Exception {
    private static final long serialVersionUID = 1L;

    public RequestFileIncomplete(String reason) {
        super(reason);
    }
}
