package org.phoenixcast.linux;

import org.phoenixcast.testing.RequiresRoot;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@RequiresRoot
class NamespaceThreadIT {

    @Test
    void onlyTheNamespaceThreadChangesNamespace() throws Exception {
        String host = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/mnt")).toString();
        try (TestContainer container = TestContainer.start();
             NamespaceThread ns = NamespaceThread.start(10_000);
             Fd pidfd = MountApi.pidfdOpen(container.pid())) {
            String guest = Files.readSymbolicLink(Path.of("/proc/" + container.pid() + "/ns/mnt")).toString();
            assertThat(guest).isNotEqualTo(host);

            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<Object> task = CompletableFuture.supplyAsync(() -> {
                try {
                    return ns.inside(pidfd, () -> {
                        entered.countDown();
                        release.await(10, TimeUnit.SECONDS);
                        return null;
                    });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            try {
                // This (ordinary) thread and a fresh one are still in the host namespace...
                assertThat(Files.readSymbolicLink(Path.of("/proc/thread-self/ns/mnt")).toString()).isEqualTo(host);
                String other = CompletableFuture.supplyAsync(() -> {
                    try {
                        return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/mnt")).toString();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }).get(10, TimeUnit.SECONDS);
                assertThat(other).isEqualTo(host);
                // ...while the namespace thread is inside the container.
                assertThat(namespaceOfThread(NamespaceThread.THREAD_NAME)).isEqualTo(guest);
                assertThat(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString()).isEqualTo(host);
            } finally {
                release.countDown();
            }
            task.get(10, TimeUnit.SECONDS);
            // and back home afterwards
            assertThat(namespaceOfThread(NamespaceThread.THREAD_NAME)).isEqualTo(host);
        }
    }

    private static String namespaceOfThread(String name) throws Exception {
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                if (Files.readString(task.resolve("comm")).trim().equals(name)) {
                    return Files.readSymbolicLink(task.resolve("ns/mnt")).toString();
                }
            }
        }
        throw new AssertionError("no thread named " + name);
    }
}
