package org.phoenixcast.it.support;

import java.io.IOException;
import java.util.Map;

/**
 * One container runtime as the runtime tests use it: installed from Debian packages by
 * .ci/run, driven with its own tools (lxc-start, docker, podman, runc, systemd-nspawn), with
 * state kept under a private directory where the runtime allows it, so castd under test sees only
 * this fixture's containers. {@link #close()} stops and deletes every container the fixture
 * made and stops any daemon it started, even after a failed test; it never throws.
 */
public interface RuntimeFixture extends AutoCloseable {
    /** castd's id for the runtime: "lxc", "nspawn", "podman", "docker", "runc". */
    String runtime();

    /** True when the fixture's containers run in their own user namespace (idmapped shares). */
    boolean userNamespaced();

    /**
     * The castd.conf settings that make castd discover exactly this fixture's containers:
     * {@code runtimes} plus the runtime's socket / state directory keys, and
     * {@code discover-names} limited to the names this fixture hands out.
     */
    Map<String, String> castdSettings();

    /** Creates (does not start) a container named {@code name} on a fresh busybox rootfs. */
    RuntimeContainer create(String name) throws IOException;

    @Override
    void close();
}
