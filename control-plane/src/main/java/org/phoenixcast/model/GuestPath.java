package org.phoenixcast.model;

import java.util.ArrayList;
import java.util.List;

/**
 * A canonical absolute path as a guest or the admin names it: starts with '/', no empty,
 * '.' or '..' components, no trailing '/', no NUL or control characters, at most
 * {@value #MAX_BYTES} UTF-8 bytes, {@value #MAX_COMPONENT_BYTES} bytes a component and
 * {@value #MAX_COMPONENTS} components.
 *
 * <p>Security: this is only a lexical check that keeps messages and the database sane. It
 * never makes a path safe to open: guest paths are resolved with openat2 RESOLVE_IN_ROOT
 * from the container's root fd, which is what stops symlink and '..' escapes.
 */
public record GuestPath(String value) implements Comparable<GuestPath> {
    /** PATH_MAX less the terminating NUL. */
    public static final int MAX_BYTES = 4095;
    /** NAME_MAX. */
    public static final int MAX_COMPONENT_BYTES = 255;
    /** Far beyond any real share; bounds the work a hostile path can cause. */
    public static final int MAX_COMPONENTS = 64;

    public static final GuestPath ROOT = new GuestPath("/");

    public GuestPath {
        String problem = problemWith(value);
        if (problem != null) {
            throw new IllegalArgumentException("invalid path " + Printable.quote(value) + ": " + problem);
        }
    }

    public static GuestPath parse(String unsafePath) {
        return new GuestPath(unsafePath);
    }

    private static String problemWith(String path) {
        if (path == null || path.isEmpty()) return "empty";
        if (path.indexOf('\uFFFD') >= 0) return "not valid UTF-8";
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) return "contains a control character";
        }
        if (path.charAt(0) != '/') return "not absolute";
        if (path.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_BYTES) {
            return "longer than " + MAX_BYTES + " bytes";
        }
        if (path.equals("/")) return null;
        if (path.endsWith("/")) return "ends with '/'";
        String[] parts = path.substring(1).split("/", -1);
        if (parts.length > MAX_COMPONENTS) return "more than " + MAX_COMPONENTS + " components";
        for (String part : parts) {
            if (part.isEmpty()) return "contains '//'";
            if (part.equals(".") || part.equals("..")) return "contains '" + part + "'";
            if (part.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_COMPONENT_BYTES) {
                return "a component is longer than " + MAX_COMPONENT_BYTES + " bytes";
            }
        }
        return null;
    }

    public boolean isRoot() {
        return value.equals("/");
    }

    /** The components from the root, e.g. ["srv", "data"]; empty for "/". */
    public List<String> components() {
        if (isRoot()) return List.of();
        return List.of(value.substring(1).split("/"));
    }

    /** True when this path equals {@code ancestor} or lies beneath it. */
    public boolean isAtOrBelow(GuestPath ancestor) {
        if (ancestor.isRoot() || ancestor.equals(this)) return true;
        return value.startsWith(ancestor.value + "/");
    }

    public GuestPath resolve(String component) {
        return new GuestPath(isRoot() ? "/" + component : value + "/" + component);
    }

    public List<GuestPath> ancestors() {
        List<GuestPath> result = new ArrayList<>();
        GuestPath current = ROOT;
        result.add(current);
        for (String c : components()) {
            current = current.resolve(c);
            result.add(current);
        }
        result.remove(result.size() - 1);
        return result;
    }

    @Override
    public int compareTo(GuestPath other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
