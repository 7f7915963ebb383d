package org.phoenixcast.importer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The lexical rules of casts.ini: container names, owners and paths. Each check returns the
 * problem as a sentence fragment, or null when the value is fine, so that the reader can put
 * section and key around it and the records can throw {@link IllegalArgumentException}.
 *
 * <p>Paths follow the control plane's GuestPath (absolute, no empty, '.' or '..' components, no
 * trailing '/', no control characters, PATH_MAX and NAME_MAX) plus what the file format cannot
 * carry, so that every valid {@link CastsConfig} survives a write and a read unchanged.
 */
final class CastsSyntax {
    /** The host: an owner and a source, never a section or a receiver. */
    static final String HOST = "host";
    /** The section that publishes to every container. */
    static final String PUBLISHED = "published";
    /** Receiver of a publication, and the path of a block of everything. */
    static final String EVERYONE = "*";

    /** PATH_MAX less the terminating NUL. */
    static final int MAX_PATH_BYTES = 4095;
    /** NAME_MAX, as the control plane checks it. */
    static final int MAX_COMPONENT_BYTES = 255;
    /** As the control plane's GuestPath: far beyond any real share. */
    static final int MAX_COMPONENTS = 64;
    /** Long enough to recognise an input, short enough that a message stays one line. */
    static final int MAX_QUOTED_CHARS = 120;

    static final List<String> VERBS = List.of("caston", "castoff", "castblock", "showcast", "cast", "ucast");

    /** A container name, optionally qualified by its runtime (lxc:web) where two runtimes share a name. */
    private static final Pattern NAME = Pattern.compile(
            "(?:(?:lxc|nspawn|podman|docker|runc|openvz|sandbox|pid):)?[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private CastsSyntax() {}

    static String containerNameProblem(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            return "a container name is 1-64 of letters, digits, '_', '.', '-', starting with a letter or digit,"
                    + " optionally after RUNTIME: (lxc, nspawn, podman, docker, runc, openvz, sandbox, pid)";
        }
        if (name.equals(HOST)) return "'host' is reserved for the host";
        if (name.equals(PUBLISHED)) return "'published' is reserved for the [published] section";
        return null;
    }

    /** An owner (of an offer) or a source (of an acceptance): a container or the host. */
    static String ownerProblem(String name) {
        return HOST.equals(name) ? null : containerNameProblem(name);
    }

    static String pathProblem(String path) {
        if (path == null || path.isEmpty()) return "path is empty";
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) return "path contains a control character";
        }
        if (path.indexOf('\uFFFD') >= 0) return "path is not valid UTF-8";
        if (path.charAt(0) != '/') return "path must be absolute";
        if (path.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            return "path is longer than " + MAX_PATH_BYTES + " bytes";
        }
        // What casts.ini cannot carry. ini4j splits a key at its first ':' or '=' and a path is
        // a key when it is offered; a path ending in '\' would join the next line; list items
        // are split at ',' and trimmed, and a trailing '(...)' is read as a suffix like (ro).
        if (path.indexOf(',') >= 0) return "path contains ',', which separates items in casts.ini";
        if (path.indexOf(':') >= 0) return "path contains ':', which ends a key in casts.ini";
        if (path.indexOf('=') >= 0) return "path contains '=', which ends a key in casts.ini";
        if (path.equals("/")) return null;
        if (path.endsWith("/")) return "path must not end with '/'";
        if (path.endsWith(")")) return "path must not end with ')', which casts.ini reads as a suffix";
        if (path.endsWith("\\")) return "path must not end with '\\', which continues the line in casts.ini";
        if (Character.isWhitespace(path.charAt(path.length() - 1))) {
            return "path must not end with whitespace, which casts.ini trims";
        }
        String[] parts = path.substring(1).split("/", -1);
        if (parts.length > MAX_COMPONENTS) return "path has more than " + MAX_COMPONENTS + " components";
        for (String part : parts) {
            if (part.isEmpty()) return "path contains '//'";
            if (part.equals(".") || part.equals("..")) return "path contains '" + part + "'";
            if (part.getBytes(StandardCharsets.UTF_8).length > MAX_COMPONENT_BYTES) {
                return "path has a component longer than " + MAX_COMPONENT_BYTES + " bytes";
            }
        }
        return null;
    }

    static String verbProblem(String verb) {
        return VERBS.contains(verb) ? null : "a verb is one of " + String.join(", ", VERBS);
    }

    /** Throws the records' {@link IllegalArgumentException} when {@code problem} is not null. */
    static void require(String what, String value, String problem) {
        if (problem != null) {
            throw new IllegalArgumentException("invalid " + what + " " + quote(value) + ": " + problem);
        }
    }

    /** Renders file content for a one-line message: control characters escaped, length capped. */
    static String quote(String untrusted) {
        if (untrusted == null) return "(none)";
        StringBuilder out = new StringBuilder("'");
        int limit = Math.min(untrusted.length(), MAX_QUOTED_CHARS);
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
