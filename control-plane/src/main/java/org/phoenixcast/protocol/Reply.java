package org.phoenixcast.protocol;

import java.util.List;

/**
 * A reply block for one request line, as the guest commands read it: first line {@code ok} or
 * {@code error: REASON}, then output lines. A reply file holds one block per request line.
 */
public record Reply(boolean ok, String reason, List<String> output) {

    public Reply {
        reason = oneLine(reason);
    }

    public static Reply ok(List<String> output) {
        return new Reply(true, "", output);
    }

    public static Reply error(String reason) {
        return new Reply(false, reason, List.of());
    }

    public String render() {
        StringBuilder out = new StringBuilder(ok ? "ok\n" : "error: " + reason + "\n");
        for (String line : output) out.append(oneLine(line)).append('\n');
        return out.toString();
    }

    /** Replies are line-oriented: a newline inside a message would forge a status line. */
    static String oneLine(String text) {
        return text.replace('\n', ' ').replace('\r', ' ');
    }
}
