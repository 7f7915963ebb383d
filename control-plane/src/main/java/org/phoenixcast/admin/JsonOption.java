package org.phoenixcast.admin;

import picocli.CommandLine;

/** The {@code --json} flag shared by every listing. */
final class JsonOption {
    @CommandLine.Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;
}
