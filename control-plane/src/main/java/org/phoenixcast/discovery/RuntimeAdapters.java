package org.phoenixcast.discovery;

import java.util.ArrayList;
import java.util.List;
import org.phoenixcast.config.RuntimeConfig;
import org.phoenixcast.discovery.docker.DockerAdapter;
import org.phoenixcast.discovery.lxc.LxcAdapter;
import org.phoenixcast.discovery.nspawn.NspawnAdapter;
import org.phoenixcast.discovery.openvz.OpenVzAdapter;
import org.phoenixcast.discovery.podman.PodmanAdapter;
import org.phoenixcast.discovery.runc.RuncAdapter;

/** Builds the adapters castd.conf enables, in its priority order. */
public final class RuntimeAdapters {
    private RuntimeAdapters() {}

    public static List<RuntimeAdapter> create(RuntimeConfig config) {
        List<RuntimeAdapter> adapters = new ArrayList<>();
        for (String runtime : config.enabled()) adapters.add(create(runtime, config));
        return adapters;
    }

    static RuntimeAdapter create(String runtime, RuntimeConfig config) {
        return switch (runtime) {
            case "lxc" -> new LxcAdapter(config);
            case "nspawn" -> new NspawnAdapter(config);
            case "podman" -> new PodmanAdapter(config);
            case "docker" -> new DockerAdapter(config);
            case "runc" -> new RuncAdapter(config);
            case "openvz" -> new OpenVzAdapter(config);
            default -> throw new IllegalArgumentException("unknown runtime '" + runtime + "'");
        };
    }
}
