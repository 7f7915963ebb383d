package org.phoenixcast.importer;

import java.io.IOException;

/**
 * casts.ini does not describe a valid state. The message names the section, the key and the
 * offending value, e.g. {@code casts.ini [104] /var/tmp: invalid target 'x:relative': path must
 * be absolute}; the same parts are fields, null when the problem is not inside one.
 */
public class CastsIniException extends IOException {
    private final String section;
    private final String key;
    private final String problem;

    public CastsIniException(String section, String key, String problem) {
        this(section, key, problem, null);
    }

    public CastsIniException(String section, String key, String problem, Throwable cause) {
        super(render(section, key, problem), cause);
        this.section = section;
        this.key = key;
        this.problem = problem;
    }

    private static String render(String section, String key, String problem) {
        StringBuilder out = new StringBuilder("casts.ini");
        if (section != null) out.append(" [").append(printable(section)).append(']');
        if (key != null) out.append(' ').append(printable(key));
        return out.append(": ").append(problem).toString();
    }

    /** Section names and keys come from the file: escape control characters, cap the length. */
    private static String printable(String untrusted) {
        String quoted = CastsSyntax.quote(untrusted);
        String inner = quoted.substring(1, quoted.length() - 1);
        return inner.equals(untrusted) ? untrusted : quoted;
    }

    /** The section the problem is in, as written; null for a problem outside any section. */
    public String section() {
        return section;
    }

    /** The key the problem is in, as written; null for a problem with a whole section or file. */
    public String key() {
        return key;
    }

    /** What is wrong, with the offending value quoted. */
    public String problem() {
        return problem;
    }
}
