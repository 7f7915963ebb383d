package org.phoenixcast.discovery.lxc;

import java.util.OptionalInt;
import org.phoenixcast.model.Printable;

/**
 * What {@code lxc-info --lxcpath=P --name=N -s -p -H} printed: the state, and the host PID of
 * init while the container runs. Asking for two fields makes lxc-info label each line
 * ("State:", "PID:"); with one field and -H it would print a bare value.
 *
 * <p>The text comes from lxc-info run on the host, which asks the container's monitor (a host
 * process) over LXC's command socket; nothing in it comes from inside the guest. It is still
 * parsed strictly: anything unexpected is an {@link IllegalArgumentException} quoting the line.
 */
record LxcInfo(LxcState state, OptionalInt pid) {
    /** A PID line longer than this is not a PID (pid_max is at most 2^22). */
    private static final int MAX_PID_DIGITS = 10;

    LxcInfo {
        if (pid.isPresent() && pid.getAsInt() <= 0) throw new IllegalArgumentException("invalid PID " + pid.getAsInt());
    }

    static LxcInfo parse(String output) {
        LxcState state = null;
        OptionalInt pid = OptionalInt.empty();
        for (String line : output.split("\n", -1)) {
            if (line.isBlank()) continue;
            int colon = line.indexOf(':');
            if (colon < 0) throw new IllegalArgumentException("lxc-info: unexpected line " + Printable.quote(line));
            String key = line.substring(0, colon);
            String value = line.substring(colon + 1).strip();
            switch (key) {
                case "State" -> state = LxcState.parse(value).orElseThrow(() -> new IllegalArgumentException(
                        "lxc-info: unknown state " + Printable.quote(value)));
                case "PID" -> pid = OptionalInt.of(parsePid(value));
                default -> { } // other fields (lxc-info may grow some) do not matter here
            }
        }
        if (state == null) throw new IllegalArgumentException("lxc-info: no State line in " + Printable.quote(output));
        return new LxcInfo(state, pid);
    }

    private static int parsePid(String value) {
        if (value.isEmpty() || value.length() > MAX_PID_DIGITS || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("lxc-info: invalid PID " + Printable.quote(value));
        }
        long pid = Long.parseLong(value);
        if (pid <= 1 || pid > Integer.MAX_VALUE) throw new IllegalArgumentException("lxc-info: invalid PID " + value);
        return (int) pid;
    }
}
