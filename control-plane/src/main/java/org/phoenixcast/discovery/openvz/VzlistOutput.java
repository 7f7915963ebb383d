package org.phoenixcast.discovery.openvz;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The output of {@code vzlist -H -o ctid,status,name} (vzctl 7 and later, OpenVZ 7 /
 * Virtuozzo 7): one line per container, the CTID right-aligned in 36 columns, the status
 * ("running", "paused", "mounted", "suspended", "stopped", "unknown") left-aligned in 9, then
 * the name ("-" when none is set), with trailing blanks trimmed.
 *
 * <p>The text form is used rather than {@code -j}: vzlist prints JSON strings without escaping
 * them, so one name with a quote in it would make the whole listing unparsable.
 *
 * <p>Not run against a real OpenVZ kernel: the format is reconstructed from vzctl's vzlist.c
 * and the vzlist(8) manual (see the recorded samples in the tests).
 */
final class VzlistOutput {
    /** A legacy numeric CTID ("104") or a VZ7 UUID-like one; nothing that could name a path. */
    static final Pattern CTID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,63}");

    /** One line: the CTID, its status and its name (null when vzlist shows "-"). */
    record Entry(String ctid, String status, String name) {
        boolean running() {
            return status.equals("running");
        }
    }

    /** One line that is not a vzlist entry, with the reason. */
    record Rejected(String untrustedLine, String reason) {}

    record Parsed(List<Entry> entries, List<Rejected> rejected) {}

    private VzlistOutput() {}

    static Parsed parse(String output) {
        List<Entry> entries = new ArrayList<>();
        List<Rejected> rejected = new ArrayList<>();
        for (String line : output.split("\n", -1)) {
            String trimmed = line.strip();
            if (trimmed.isEmpty()) continue;
            String[] f = trimmed.split("[ \t]+", 3);
            if (f.length < 2) {
                rejected.add(new Rejected(line, "fewer than two fields"));
                continue;
            }
            if (!CTID.matcher(f[0]).matches()) {
                rejected.add(new Rejected(line, "not a CTID"));
                continue;
            }
            if (!f[1].matches("[a-z]{1,16}")) {
                rejected.add(new Rejected(line, "not a status"));
                continue;
            }
            String name = f.length == 3 ? f[2].strip() : "-";
            entries.add(new Entry(f[0], f[1], name.equals("-") || name.isEmpty() ? null : name));
        }
        return new Parsed(entries, rejected);
    }
}
