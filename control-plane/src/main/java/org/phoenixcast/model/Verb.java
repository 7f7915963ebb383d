package org.phoenixcast.model;

import java.util.Locale;
import java.util.Optional;

/** The six guest commands of the design note. The verb is also the request file's name. */
public enum Verb {
    CASTON, CASTOFF, CASTBLOCK, SHOWCAST, CAST, UCAST;

    /** The lower-case name used for the script, the request file and the reply. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Verb> ofWord(String word) {
        for (Verb v : values()) {
            if (v.word().equals(word)) return Optional.of(v);
        }
        return Optional.empty();
    }

    public static Verb parse(String unsafeWord) {
        return ofWord(unsafeWord).orElseThrow(() -> new IllegalArgumentException(
                "unknown verb " + Printable.quote(unsafeWord) + ": use caston, castoff, castblock, showcast, cast or ucast"));
    }
}
