package org.phoenixcast.model;

import java.util.regex.Pattern;

/**
 * A container's name as castd knows it: 1-64 of letters, digits, '_', '.', '-', starting with
 * a letter or digit (so the note's numeric ids like {@code 104} are valid). {@code host} is
 * reserved for the host itself.
 */
public record ContainerName(String value) implements Comparable<ContainerName> {
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    public static final String HOST = "host";

    public ContainerName {
        if (value == null || !VALID.matcher(value).matches()) {
            throw new IllegalArgumentException("invalid container name " + Printable.quote(value)
                    + ": use 1-64 letters, digits, '_', '.', '-', starting with a letter or digit");
        }
        if (value.equals(HOST)) {
            throw new IllegalArgumentException("invalid container name 'host': reserved for the host");
        }
    }

    public static ContainerName parse(String unsafeName) {
        return new ContainerName(unsafeName);
    }

    public static boolean isValid(String name) {
        return name != null && VALID.matcher(name).matches() && !name.equals(HOST);
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
