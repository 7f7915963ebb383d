package org.phoenixcast.model;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A container's name as castd knows it: 1-64 of letters, digits, '_', '.', '-', starting with
 * a letter or digit (so the note's numeric ids like {@code 104} are valid), optionally qualified
 * by its runtime ({@code lxc:web}, {@code docker:web}) where two runtimes use the same name.
 * {@code host} is reserved for the host itself.
 */
public record ContainerName(String value) implements Comparable<ContainerName> {
    private static final Pattern BARE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    public static final String HOST = "host";
    /** Runtime qualifiers: the discovered runtimes plus castd's own sandboxes and PID registrations. */
    public static final List<String> RUNTIMES = List.of("lxc", "nspawn", "podman", "docker", "runc", "openvz",
            "sandbox", "pid");

    public ContainerName {
        Optional<String> problem = problem(value);
        if (problem.isPresent()) throw new IllegalArgumentException(problem.get());
    }

    public static ContainerName parse(String unsafeName) {
        return new ContainerName(unsafeName);
    }

    /** {@code runtime:name}; the bare name must be valid, "host" is allowed here (it is qualified). */
    public static ContainerName qualified(String runtime, String bareName) {
        return new ContainerName(runtime + ":" + bareName);
    }

    public static boolean isValid(String name) {
        return problem(name).isEmpty();
    }

    /** True for a valid unqualified name (not "host"). */
    public static boolean isValidBare(String name) {
        return name != null && BARE.matcher(name).matches() && !name.equals(HOST);
    }

    private static Optional<String> problem(String value) {
        String rule = ": use 1-64 letters, digits, '_', '.', '-', starting with a letter or digit,"
                + " optionally after RUNTIME: (" + String.join(", ", RUNTIMES) + ")";
        if (value == null) return Optional.of("invalid container name (none)" + rule);
        int colon = value.indexOf(':');
        if (colon < 0) {
            if (value.equals(HOST)) return Optional.of("invalid container name 'host': reserved for the host");
            return BARE.matcher(value).matches() ? Optional.empty()
                    : Optional.of("invalid container name " + Printable.quote(value) + rule);
        }
        String runtime = value.substring(0, colon);
        String bare = value.substring(colon + 1);
        if (!RUNTIMES.contains(runtime)) {
            return Optional.of("invalid container name " + Printable.quote(value) + ": unknown runtime "
                    + Printable.quote(runtime) + " (known: " + String.join(", ", RUNTIMES) + ")");
        }
        return BARE.matcher(bare).matches() ? Optional.empty()
                : Optional.of("invalid container name " + Printable.quote(value) + rule);
    }

    /** The runtime qualifier, if this name has one. */
    public Optional<String> runtime() {
        int colon = value.indexOf(':');
        return colon < 0 ? Optional.empty() : Optional.of(value.substring(0, colon));
    }

    /** The name without its runtime qualifier. */
    public String bareName() {
        int colon = value.indexOf(':');
        return colon < 0 ? value : value.substring(colon + 1);
    }

    @Override
    public int compareTo(ContainerName o) {
        return value.compareTo(o.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
