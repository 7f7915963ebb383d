package org.phoenixcast.admin;

import java.util.List;

/** One castctl → castd call: the command line, and input text (casts.ini for import). JSON on the wire. */
public record AdminRequest(List<String> args, String stdin) {
    public AdminRequest {
        args = List.copyOf(args);
        stdin = stdin == null ? "" : stdin;
    }
}
