package org.phoenixcast.it.runtimes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.phoenixcast.discovery.docker.TestHost;
import org.phoenixcast.discovery.podman.PrivatePodman;
import org.phoenixcast.it.support.BusyboxRootfs;
import org.phoenixcast.it.support.RuntimeContainer;
import org.phoenixcast.it.support.RuntimeFixture;

/**
 * Root Podman for the runtime tests, on storage of the fixture's own ({@link PrivatePodman}:
 * --root, --runroot and --tmpdir under a temp directory), each container on a fresh
 * {@link BusyboxRootfs} via --rootfs. {@link #startUserNamespaced()} gives the variant whose
 * containers map ids 0-65535 to host 100000-165535 ({@code --uidmap/--gidmap 0:100000:65536},
 * rootfs chowned to 100000).
 *
 * <p>castd reaches it through {@code podman.root} and {@code podman.runroot} (podman finds the
 * tmpdir, and so the events log, in its database). The storage holds only this fixture's
 * containers, so {@code discover-names = .*} is exactly them. Their runc state lies in
 * /run/runc (see PrivatePodman): a castd that also enables runc on /run/runc sees them twice and
 * keeps podman's name because podman is listed first. {@link #close()} removes everything, even
 * after failures, and never throws.
 */
public final class PodmanFixture implements RuntimeFixture {
    private final PrivatePodman podman;
    private final boolean userNamespaced;
    private final List<PodmanContainer> containers = new CopyOnWriteArrayList<>();

    private PodmanFixture(PrivatePodman podman, boolean userNamespaced) {
        this.podman = podman;
        this.userNamespaced = userNamespaced;
    }

    /** Privileged containers (no user namespace). */
    public static PodmanFixture start() throws IOException {
        return new PodmanFixture(PrivatePodman.create(), false);
    }

    /**
     * Containers in their own user namespace: container root is host uid/gid 100000. (Not
     * named {@code userNamespaced()}: RuntimeFixture has an instance method of that name.)
     */
    public static PodmanFixture startUserNamespaced() throws IOException {
        return new PodmanFixture(PrivatePodman.create(), true);
    }

    @Override
    public String runtime() {
        return "podman";
    }

    @Override
    public boolean userNamespaced() {
        return userNamespaced;
    }

    @Override
    public Map<String, String> castdSettings() {
        return Map.of("runtimes", "podman", "podman.root", podman.root().toString(), "podman.runroot",
                podman.runroot().toString(), "discover-names", ".*");
    }

    /** The fixture's podman, for tests that drive it themselves. */
    public PrivatePodman podman() {
        return podman;
    }

    @Override
    public RuntimeContainer create(String name) throws IOException {
        Path rootfs = BusyboxRootfs.build(podman.dir().resolve("rootfs").resolve(name),
                userNamespaced ? PrivatePodman.USERNS_BASE : 0);
        if (userNamespaced) {
            // the container's root (host 100000) must traverse to its rootfs
            Files.setPosixFilePermissions(rootfs.getParent(), java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        }
        try {
            podman.create(name, rootfs, userNamespaced);
        } catch (IllegalStateException e) {
            throw new IOException(e.getMessage(), e);
        }
        PodmanContainer c = new PodmanContainer(name, rootfs);
        containers.add(c);
        return c;
    }

    @Override
    public void close() {
        try {
            containers.forEach(PodmanContainer::close);
        } finally {
            try {
                podman.close();
            } catch (RuntimeException e) {
                System.err.println("PodmanFixture: cleanup failed: " + e);
            }
        }
    }

    /** One container of the fixture's podman storage, driven with the podman CLI. */
    private final class PodmanContainer extends CliContainer {
        private final Path rootfs;

        PodmanContainer(String name, Path rootfs) {
            super("podman", name, List.of("stop", "--time", "10"), List.of("rm", "--force", "--time", "0"));
            this.rootfs = rootfs;
        }

        @Override
        TestHost.Result cli(String... args) {
            return podman.podman(args);
        }

        @Override
        int initPid() {
            return podman.pid(name());
        }

        @Override
        public boolean userNamespaced() {
            return userNamespaced;
        }

        /** The --rootfs directory itself: podman binds it as the container's "/". */
        @Override
        public Path hostRootfs() {
            return rootfs;
        }
    }
}
