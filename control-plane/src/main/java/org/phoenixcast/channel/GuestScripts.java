package org.phoenixcast.channel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The guest commands' multi-call script (guest-cli), copied into /syscmd once per enabled verb. */
public final class GuestScripts {
    static final String RESOURCE = "/org/phoenixcast/guest/phoenix-cast";

    private GuestScripts() {}

    /** Loaded once at start-up; a build without guest-cli fails here with one clear line. */
    public static byte[] load() {
        try (InputStream in = GuestScripts.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("guest command script " + RESOURCE + " is missing from the classpath");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
