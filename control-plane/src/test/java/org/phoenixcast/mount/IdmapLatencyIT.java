package org.phoenixcast.mount;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.phoenixcast.linux.UsernsTestContainer;
import org.phoenixcast.model.Access;
import org.phoenixcast.model.GuestPath;
import org.phoenixcast.testing.RequiresRoot;

/**
 * Prints what an inject costs with and without an idmap (figures, not assertions): the kernel
 * and castd work of {@link LinuxMountFacade#inject}, timed around the call, detach not timed.
 */
@RequiresRoot(tools = {"unshare", "nsenter", "busybox", "chown"})
class IdmapLatencyIT {
    private static final int ROUNDS = 200;

    @Test
    void printsInjectLatencyWithAndWithoutIdmap() throws Exception {
        Path runtime = Files.createTempDirectory("pc-run");
        Path hostDir = Files.createTempDirectory("pc-lat");
        List<AutoCloseable> open = new ArrayList<>();
        try (LinuxMountFacade facade = LinuxMountFacade.start(runtime)) {
            UsernsTestContainer p1 = track(open, UsernsTestContainer.privileged());
            UsernsTestContainer p2 = track(open, UsernsTestContainer.privileged());
            UsernsTestContainer a = track(open, UsernsTestContainer.start(100000, 65536));
            UsernsTestContainer b = track(open, UsernsTestContainer.start(200000, 65536));
            p1.check("mkdir -p /data/share");
            a.check("mkdir -p /data/share");
            ContainerHandle hp1 = track(open, facade.open(p1.pid()));
            ContainerHandle hp2 = track(open, facade.open(p2.pid()));
            ContainerHandle ha = track(open, facade.open(a.pid()));
            ContainerHandle hb = track(open, facade.open(b.pid()));
            facade.inject(ha, host(hostDir, "/mapped", Access.READ_WRITE)); // an idmapped source in A

            List<String> report = new ArrayList<>();
            report.add(measure(facade, "rw host -> privileged (no idmap)", hp2, host(hostDir, "/t", Access.READ_WRITE)));
            report.add(measure(facade, "rw privileged -> privileged (no idmap)", hp2,
                    guest(hp1, "/data/share", Access.READ_WRITE)));
            report.add(measure(facade, "rw host -> userns (receiver's namespace)", hb,
                    host(hostDir, "/t", Access.READ_WRITE)));
            report.add(measure(facade, "rw userns -> userns (created namespace, cached)", hb,
                    guest(ha, "/data/share", Access.READ_WRITE)));
            report.add(measure(facade, "rw userns -> privileged (created namespace, cached)", hp2,
                    guest(ha, "/data/share", Access.READ_WRITE)));
            report.add(measure(facade, "rw idmapped source -> userns (open_tree_attr in owner)", hb,
                    guest(ha, "/mapped", Access.READ_WRITE)));
            report.add(measure(facade, "ro host -> privileged (lock, no idmap)", hp2, host(hostDir, "/t", Access.READ_ONLY)));
            report.add(measure(facade, "ro host -> userns (idmap + lock)", hb, host(hostDir, "/t", Access.READ_ONLY)));
            report.add(measure(facade, "ro userns -> userns (created namespace + lock)", hb,
                    guest(ha, "/data/share", Access.READ_ONLY)));

            // first use of a mapping: a new receiver range each time, so the namespace is created
            long[] first = new long[4];
            for (int i = 0; i < first.length; i++) {
                UsernsTestContainer r = track(open, UsernsTestContainer.start(300000 + i * 100000L, 65536));
                ContainerHandle hr = track(open, facade.open(r.pid()));
                long created = facade.idmapNamespaces().createdCount();
                long t0 = System.nanoTime();
                long id = facade.inject(hr, guest(ha, "/data/share", Access.READ_WRITE));
                first[i] = System.nanoTime() - t0;
                assertThat(facade.idmapNamespaces().createdCount()).isEqualTo(created + 1);
                facade.detach(hr, GuestPath.parse("/t"), id);
            }
            Arrays.sort(first);
            report.add(String.format("%-58s n=%d  median %8.1f us  max %8.1f us",
                    "rw userns -> userns (namespace created on first use)", first.length,
                    first[first.length / 2] / 1000.0, first[first.length - 1] / 1000.0));
            System.out.println("inject latency, " + ROUNDS + " rounds each:");
            report.forEach(line -> System.out.println("  " + line));
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
            IdmappedShareIT.deleteTree(hostDir);
            IdmappedShareIT.deleteTree(runtime);
        }
    }

    private static <T extends AutoCloseable> T track(List<AutoCloseable> open, T thing) {
        open.add(thing);
        return thing;
    }

    private static MountSpec host(Path source, String target, Access access) {
        return new MountSpec(new MountSource.HostPath(source), GuestPath.parse(target), access, false);
    }

    private static MountSpec guest(ContainerHandle owner, String path, Access access) {
        return new MountSpec(new MountSource.GuestFolder(owner, GuestPath.parse(path)), GuestPath.parse("/t"), access,
                false);
    }

    private static String measure(LinuxMountFacade facade, String name, ContainerHandle receiver, MountSpec spec)
            throws Exception {
        for (int i = 0; i < 20; i++) facade.detach(receiver, spec.unsafeTarget(), facade.inject(receiver, spec));
        long[] nanos = new long[ROUNDS];
        for (int i = 0; i < ROUNDS; i++) {
            long t0 = System.nanoTime();
            long id = facade.inject(receiver, spec);
            nanos[i] = System.nanoTime() - t0;
            facade.detach(receiver, spec.unsafeTarget(), id);
        }
        Arrays.sort(nanos);
        return String.format("%-58s median %8.1f us  p90 %8.1f us", name, nanos[ROUNDS / 2] / 1000.0,
                nanos[ROUNDS * 9 / 10] / 1000.0);
    }
}
