package org.phoenixcast.it.runtimes;

import java.io.IOException;
import java.util.List;
import org.phoenixcast.it.support.RuntimeFixture;

/** Every runtime fixture by a short name, for the discovery benchmark. */
public final class RuntimeFixtures {
    public static final List<String> NAMES = List.of("lxc", "lxc-unprivileged", "nspawn", "nspawn-U", "runc",
            "runc-userns", "podman", "podman-userns", "docker");

    private RuntimeFixtures() {}

    public static RuntimeFixture open(String name) throws IOException {
        return switch (name) {
            case "lxc" -> LxcFixture.privileged();
            case "lxc-unprivileged" -> LxcFixture.unprivileged();
            case "nspawn" -> NspawnFixture.privileged();
            case "nspawn-U" -> NspawnFixture.withUserNamespace();
            case "runc" -> RuncFixture.privileged();
            case "runc-userns" -> RuncFixture.withUserNamespace();
            case "podman" -> PodmanFixture.start();
            case "podman-userns" -> PodmanFixture.startUserNamespaced();
            case "docker" -> DockerFixture.start();
            default -> throw new IllegalArgumentException("unknown runtime '" + name + "'; known: " + String.join(", ", NAMES));
        };
    }
}
