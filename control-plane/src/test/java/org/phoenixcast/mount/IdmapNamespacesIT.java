package org.phoenixcast.mount;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.phoenixcast.linux.Fd;
import org.phoenixcast.linux.Kernel;
import org.phoenixcast.testing.RequiresRoot;

/** The namespaces castd creates for idmaps: exact maps, cached, bounded, no helper left behind. */
@RequiresRoot(tools = {"unshare", "nsenter"})
class IdmapNamespacesIT {
    private static final UserNamespace M1 = ns("100000 200000 65536");
    private static final UserNamespace M2 = ns("100000 0 65536");
    private static final UserNamespace M3 = new UserNamespace(IdMap.parse("0 300000 1000\n5000 400000 10"),
            IdMap.parse("0 300000 1"));

    private Fd hostProc;

    private static UserNamespace ns(String both) {
        return new UserNamespace(IdMap.parse(both), IdMap.parse(both));
    }

    @BeforeEach
    void openProc() throws Exception {
        hostProc = Kernel.openHost(Path.of("/proc"), Kernel.O_PATH | Kernel.O_DIRECTORY);
    }

    @AfterEach
    void closeProc() {
        hostProc.close();
    }

    /** The maps of the namespace behind {@code fd}, as a process that enters it reads them. */
    private static UserNamespace mapsOf(Fd fd) throws Exception {
        return new UserNamespace(IdMap.parse(readInside(fd, "uid_map")), IdMap.parse(readInside(fd, "gid_map")));
    }

    private static String readInside(Fd fd, String file) throws Exception {
        String nsPath = "/proc/" + ProcessHandle.current().pid() + "/fd/" + fd.get();
        // --preserve-credentials: uid 0 may not be mapped in these namespaces
        Process p = new ProcessBuilder("nsenter", "--user=" + nsPath, "--preserve-credentials", "--",
                "cat", "/proc/self/" + file).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
        return out;
    }

    @Test
    void createsANamespaceWithExactlyTheMapsAndCachesIt() throws Exception {
        try (IdmapNamespaces namespaces = new IdmapNamespaces(hostProc, 8)) {
            try (Fd first = namespaces.acquire(M1)) {
                assertThat(mapsOf(first)).isEqualTo(M1);
            }
            try (Fd again = namespaces.acquire(M1)) {
                assertThat(mapsOf(again)).isEqualTo(M1);
            }
            try (Fd uneven = namespaces.acquire(new UserNamespace(M1.uids(), M2.gids()))) {
                assertThat(mapsOf(uneven)).isEqualTo(new UserNamespace(M1.uids(), M2.gids()));
            }
            assertThat(namespaces.createdCount()).isEqualTo(2);
            assertThat(namespaces.size()).isEqualTo(2);
        }
    }

    @Test
    void evictsTheLeastRecentlyUsedBeyondItsCapacityAndRecreatesOnDemand() throws Exception {
        try (IdmapNamespaces namespaces = new IdmapNamespaces(hostProc, 2)) {
            namespaces.acquire(M1).close();
            namespaces.acquire(M2).close();
            namespaces.acquire(M1).close(); // M2 is now the least recently used
            Fd held = namespaces.acquire(M3); // evicts M2
            assertThat(namespaces.size()).isEqualTo(2);
            assertThat(namespaces.createdCount()).isEqualTo(3);
            namespaces.acquire(M1).close();
            assertThat(namespaces.createdCount()).isEqualTo(3);
            namespaces.acquire(M2).close(); // evicts M3 while a caller still holds its fd
            assertThat(namespaces.createdCount()).isEqualTo(4);
            assertThat(mapsOf(held)).isEqualTo(M3); // the caller's duplicate keeps it alive
            held.close();
        }
    }

    @Test
    void leavesNoHelperProcessAndClosesItsFds() throws Exception {
        long before = helpers();
        Fd kept;
        try (IdmapNamespaces namespaces = new IdmapNamespaces(hostProc, 4)) {
            namespaces.acquire(M1).close();
            namespaces.acquire(M2).close();
            kept = namespaces.acquire(M3);
            assertThat(helpers()).isEqualTo(before);
        }
        assertThat(kept.isOpen()).isTrue(); // the caller's copy is its own
        kept.close();
        assertThat(helpers()).isEqualTo(before);
    }

    private static long helpers() {
        return ProcessHandle.current().children().filter(p -> p.info().command().orElse("").endsWith("unshare")).count();
    }
}
