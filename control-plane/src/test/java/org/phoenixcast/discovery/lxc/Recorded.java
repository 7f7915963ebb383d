package org.phoenixcast.discovery.lxc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Output recorded from LXC 5.0.2 and /proc (see README.md beside the files). */
final class Recorded {
    private Recorded() {}

    static String text(String file) {
        try (InputStream in = Recorded.class.getResourceAsStream(file)) {
            if (in == null) throw new IllegalArgumentException("no recorded file " + file);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
