package org.phoenixcast.it.runtimes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.phoenixcast.discovery.docker.PrivateDockerd;
import org.phoenixcast.discovery.docker.TestHost;
import org.phoenixcast.it.support.BusyboxRootfs;
import org.phoenixcast.it.support.RuntimeContainer;
import org.phoenixcast.it.support.RuntimeFixture;
import org.phoenixcast.testing.TestMounts;

/**
 * Docker for the runtime tests: a dockerd of the fixture's own ({@link PrivateDockerd}: own
 * socket, data root and exec root, no bridge, no iptables), an image imported from a
 * {@link BusyboxRootfs} tar, containers with no network and /sbin/init. castd reaches it through
 * {@code docker.socket}; the daemon holds only this fixture's containers, so
 * {@code discover-names = .*} is exactly them. {@link #close()} removes the containers, stops
 * dockerd and deletes its directory, even after failures, and never throws.
 */
public final class DockerFixture implements RuntimeFixture {
    static final String IMAGE = "phoenix-busybox:fixture";
    private final PrivateDockerd dockerd;
    private final List<DockerContainer> containers = new CopyOnWriteArrayList<>();

    private DockerFixture(PrivateDockerd dockerd) {
        this.dockerd = dockerd;
    }

    /** Starts the fixture's dockerd and imports the busybox image (~1 s in all). */
    public static DockerFixture start() throws IOException {
        PrivateDockerd dockerd = PrivateDockerd.start();
        Path rootfs = null;
        try {
            rootfs = Files.createTempDirectory("pc-docker-image-");
            dockerd.importImage(BusyboxRootfs.build(rootfs.resolve("root"), 0), IMAGE);
            return new DockerFixture(dockerd);
        } catch (IOException | RuntimeException | Error e) {
            dockerd.close();
            throw e;
        } finally {
            if (rootfs != null) TestMounts.detachAndDelete(rootfs);
        }
    }

    @Override
    public String runtime() {
        return "docker";
    }

    @Override
    public boolean userNamespaced() {
        return false;
    }

    @Override
    public Map<String, String> castdSettings() {
        return Map.of("runtimes", "docker", "docker.socket", dockerd.socket().toString(), "discover-names", ".*");
    }

    /** The fixture's daemon, for tests that drive docker themselves. */
    public PrivateDockerd dockerd() {
        return dockerd;
    }

    @Override
    public RuntimeContainer create(String name) throws IOException {
        try {
            dockerd.create(name, IMAGE);
        } catch (IllegalStateException e) {
            throw new IOException(e.getMessage(), e);
        }
        DockerContainer c = new DockerContainer(name);
        containers.add(c);
        return c;
    }

    @Override
    public void close() {
        try {
            containers.forEach(DockerContainer::close);
        } finally {
            try {
                dockerd.close();
            } catch (RuntimeException e) {
                System.err.println("DockerFixture: cleanup failed: " + e);
            }
        }
    }

    /** One container of the fixture's dockerd, driven with the docker CLI. */
    private final class DockerContainer extends CliContainer {
        DockerContainer(String name) {
            super("docker", name, List.of("stop", "-t", "10"), List.of("rm", "-f"));
        }

        @Override
        TestHost.Result cli(String... args) {
            return dockerd.docker(args);
        }

        @Override
        int initPid() {
            return dockerd.pid(name());
        }

        @Override
        public boolean userNamespaced() {
            return false;
        }

        /**
         * While it runs: the overlay's merged directory, the container's "/" as it sees it. While
         * stopped (not mounted then): the overlay's upper directory, where its own files live;
         * files written there show inside after the next start.
         */
        @Override
        public Path hostRootfs() {
            String running = dockerd.dockerOk("inspect", "-f", "{{.State.Running}}", name());
            String key = running.equals("true") ? "MergedDir" : "UpperDir";
            return Path.of(dockerd.dockerOk("inspect", "-f", "{{.GraphDriver.Data." + key + "}}", name()));
        }
    }
}
