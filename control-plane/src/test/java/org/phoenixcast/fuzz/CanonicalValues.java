package org.phoenixcast.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.phoenixcast.model.ContainerName;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.model.SourceRef;
import org.phoenixcast.protocol.Command;

/**
 * The property every fuzz target checks of what the parsers accept: each value is canonical
 * (its text parses back to the same value) and within the limits castd relies on downstream
 * (the database's column sizes, the mount code's path handling, reply rendering).
 */
final class CanonicalValues {
    private CanonicalValues() {}

    /** Every value in a parsed command is canonical: parsing its text again gives the same value. */
    static void require(Command command) {
        if (command instanceof Command.Cast c) {
            require(c.dir());
            c.target().ifPresent(CanonicalValues::require);
            c.receiver().ifPresent(CanonicalValues::require);
        } else if (command instanceof Command.Ucast u) {
            require(u.dir());
            u.receiver().ifPresent(CanonicalValues::require);
        } else if (command instanceof Command.Caston c) {
            c.source().ifPresent(CanonicalValues::require);
        } else if (command instanceof Command.Castoff c) {
            if (c.selector() instanceof Command.Selector.ByTarget t) require(t.target());
            if (c.selector() instanceof Command.Selector.BySource s) require(s.source());
        } else if (command instanceof Command.Castblock b) {
            b.path().ifPresent(CanonicalValues::require);
        }
    }

    static void require(GuestPath path) {
        String value = path.toString();
        assertThat(GuestPath.parse(value)).isEqualTo(path);
        assertThat(value).startsWith("/");
        assertThat(value.chars()).noneMatch(c -> c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0xfffd);
        assertThat(value.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(GuestPath.MAX_BYTES);
        if (path.isRoot()) return;
        assertThat(value).doesNotEndWith("/").doesNotContain("//").doesNotContain("/./").doesNotContain("/../")
                .doesNotEndWith("/.").doesNotEndWith("/..");
        assertThat(path.components()).hasSizeLessThanOrEqualTo(GuestPath.MAX_COMPONENTS)
                .allSatisfy(c -> assertThat(c.getBytes(StandardCharsets.UTF_8).length)
                        .isBetween(1, GuestPath.MAX_COMPONENT_BYTES));
        assertThat(path.ancestors()).allSatisfy(a -> assertThat(path.isAtOrBelow(a)).isTrue());
    }

    static void require(ContainerName name) {
        assertThat(ContainerName.parse(name.toString())).isEqualTo(name);
        assertThat(name.toString()).isNotEqualTo(ContainerName.HOST).doesNotContain("/");
        // Bare, or qualified by exactly one known runtime (lxc:web): never a second ':'. A
        // qualified name may be "host" (podman:host is a Podman container named host, see
        // ContainerName.qualified); only the bare name "host" is reserved for the host.
        assertThat(ContainerName.isValidBare(name.bareName())
                || (name.runtime().isPresent() && name.bareName().equals(ContainerName.HOST)))
                .as("bare part of %s", name).isTrue();
        assertThat(name.toString()).isEqualTo(name.runtime().map(r -> r + ":").orElse("") + name.bareName());
        name.runtime().ifPresent(r -> assertThat(ContainerName.RUNTIMES).contains(r));
    }

    static void require(SourceRef source) {
        assertThat(SourceRef.parse(source.toString())).isEqualTo(source);
        require(source.path());
    }

}
