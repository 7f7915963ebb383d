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

    /**
     * A task stuck inside one container (as a lookup through a guest's stopped FUSE daemon
     * would be) times out; the thread is set aside and a fresh one serves another container at
     * once; the stuck container is refused at once while its task is stuck, at most
     * MAX_STALLED threads are ever set aside, and everything is served again once the stuck
     * tasks return, which see that their caller gave up.
     */
    @Test
    void aStuckTaskIsSetAsideAndAFreshThreadServesTheOthers() throws Exception {
        try (TestContainer stuck = TestContainer.start();
             TestContainer other = TestContainer.start();
             NamespaceThread ns = NamespaceThread.start(1_000);
             Fd stuckPidfd = MountApi.pidfdOpen(stuck.pid());
             Fd otherPidfd = MountApi.pidfdOpen(other.pid())) {
            CountDownLatch release = new CountDownLatch(1);
            java.util.List<Boolean> sawAbandoned = new java.util.concurrent.CopyOnWriteArrayList<>();
            NamespaceThread.Task<Object> blocks = () -> {
                // Like a lookup through a stopped FUSE daemon: an interrupt does not end it.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (release.getCount() > 0 && System.nanoTime() < deadline) {
                    try {
                        release.await(100, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException ignored) {
                        // keep blocking
                    }
                }
                sawAbandoned.add(NamespaceThread.abandoned());
                return null;
            };

            assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(() -> ns.inside(stuckPidfd, blocks),
                    LinuxException.class).errno()).as("the stuck task times out").isEqualTo(Errno.ETIMEDOUT);
            long start = System.nanoTime();
            // (Which namespace a task runs in is onlyTheNamespaceThreadChangesNamespace's business.)
            String seen = ns.inside(otherPidfd, () -> "served");
            long otherMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(seen).as("a fresh thread serves the other container").isEqualTo("served");
            assertThat(otherMillis).as("the other container waits for no timeout (ms)").isLessThan(1_000);
            LinuxException busy = org.assertj.core.api.Assertions.catchThrowableOfType(
                    () -> ns.inside(stuckPidfd, () -> null), LinuxException.class);
            assertThat(busy.errno()).as("the stuck container is refused at once").isEqualTo(Errno.EBUSY);
            assertThat(ns.stalledCount()).isEqualTo(1);

            // More stuck containers (other pidfds of the same process count as others): the cap holds.
            java.util.List<Fd> more = new java.util.ArrayList<>();
            try {
                for (int i = 1; i < NamespaceThread.MAX_STALLED; i++) {
                    Fd fd = MountApi.pidfdOpen(stuck.pid());
                    more.add(fd);
                    assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(() -> ns.inside(fd, blocks),
                            LinuxException.class).errno()).isEqualTo(Errno.ETIMEDOUT);
                }
                assertThat(ns.stalledCount()).isEqualTo(NamespaceThread.MAX_STALLED);
                assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(() -> ns.inside(otherPidfd, () -> null),
                        LinuxException.class).errno()).as("beyond the cap every task is refused").isEqualTo(Errno.EAGAIN);
                assertThat(threadsNamed(NamespaceThread.THREAD_NAME)).as("namespace threads alive")
                        .isEqualTo(NamespaceThread.MAX_STALLED);

                release.countDown();
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> ns.stalledCount() == 0);
                assertThat(ns.inside(stuckPidfd, () -> "served")).isEqualTo("served");
                assertThat(sawAbandoned).as("each stuck task saw its caller had given up").hasSize(NamespaceThread.MAX_STALLED)
                        .containsOnly(true);
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                        .until(() -> threadsNamed(NamespaceThread.THREAD_NAME) == 1);
                assertThat(namespaceOfThread(NamespaceThread.THREAD_NAME)).as("the one left is at home")
                        .isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString());
            } finally {
                release.countDown();
                for (Fd fd : more) fd.close();
            }
        }
    }

    /**
     * Review finding 4: after a timeout the caller closes its fds while the set-aside task may
     * still be about to use them (e.g. between its abandoned() check and move_mount), and the
     * kernel hands the freed number to the next open (a fresh lane's open_tree of another
     * share). A task with lent fds uses its own copies: here the caller's number is reused for
     * another directory, served by a fresh lane, and the stuck task still sees its own one.
     */
    @Test
    void aSetAsideTaskKeepsItsOwnCopiesOfLentFdsWhenTheCallerClosedItsOwnAndTheNumberIsReused() throws Exception {
        Path dir = Files.createTempDirectory("castd-lent");
        Path mineDir = Files.createDirectory(dir.resolve("mine"));
        Path otherDir = Files.createDirectory(dir.resolve("other"));
        // The stuck task's namespace fd is its own object: only it is refused while stuck.
        try (NamespaceThread ns = NamespaceThread.start(500);
             Fd stuckIn = Kernel.openHost(Path.of("/proc/self/ns/mnt"), Kernel.O_RDONLY)) {
            Fd mine = Kernel.openHost(mineDir, Kernel.O_PATH | Kernel.O_DIRECTORY);
            int number = mine.get();
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<String> seen = new CompletableFuture<>();
            LinuxException timedOut = org.assertj.core.api.Assertions.catchThrowableOfType(
                    () -> ns.inside(stuckIn, new Fd[] {mine}, lent -> {
                        // The number as a system call about to run holds it (move_mount's argument)
                        // while the lookup before it is stuck.
                        int held = lent[0].get();
                        blockUntil(release);
                        try {
                            Path link = Path.of("/proc/self/fd/" + held);
                            seen.complete(Files.readSymbolicLink(link) + " inode " + Files.getAttribute(link, "unix:ino"));
                        } catch (Throwable t) {
                            seen.completeExceptionally(t);
                        }
                        return null;
                    }), LinuxException.class);
            assertThat(timedOut.errno()).as("the stuck task times out").isEqualTo(Errno.ETIMEDOUT);

            // The caller closes its copy, as Injector.inject's finally does, and the number is reused.
            mine.close();
            Fd other = reopenAtNumber(otherDir, number);
            try {
                String fresh = ns.inside(ns.hostNamespace(), new Fd[] {other},
                        lent -> Files.readSymbolicLink(Path.of("/proc/self/fd/" + lent[0].get())).toString());
                assertThat(fresh).as("a fresh lane serves the share now at the reused number").isEqualTo(otherDir.toString());

                release.countDown();
                String stuckSaw = seen.get(10, TimeUnit.SECONDS);
                System.out.printf("NamespaceThreadIT lent fd: caller's number %d reused for %s; the set-aside task saw %s%n",
                        number, otherDir, stuckSaw);
                assertThat(stuckSaw).as("the set-aside task still uses its own object, not the reused number")
                        .isEqualTo(mineDir + " inode " + Files.getAttribute(mineDir, "unix:ino"));
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> ns.stalledCount() == 0);
                assertThat(fdsTo(mineDir)).as("the task's copies are closed once it returns").isZero();
            } finally {
                release.countDown();
                other.close();
            }
        }
    }

    /**
     * Review finding 5: a task that returns an fd (an open_tree clone) after its caller gave up
     * would hand it to nobody, pinning a detached mount tree for good. The lane closes such a
     * result; a result delivered in time stays open for its caller.
     */
    @Test
    void anFdReturnedByASetAsideTaskIsClosedByTheLane() throws Exception {
        Path dir = Files.createTempDirectory("castd-late");
        Path lateDir = Files.createDirectory(dir.resolve("late"));
        Path inTimeDir = Files.createDirectory(dir.resolve("in-time"));
        try (NamespaceThread ns = NamespaceThread.start(500);
             Fd stuckIn = Kernel.openHost(Path.of("/proc/self/ns/mnt"), Kernel.O_RDONLY)) {
            try (Fd inTime = ns.inside(ns.hostNamespace(), () -> Kernel.openHost(inTimeDir, Kernel.O_PATH | Kernel.O_DIRECTORY))) {
                assertThat(inTime.isOpen()).isTrue();
                assertThat(fdsTo(inTimeDir)).as("a result delivered in time is the caller's").isEqualTo(1);
            }
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch opened = new CountDownLatch(1);
            try {
                LinuxException timedOut = org.assertj.core.api.Assertions.catchThrowableOfType(
                        () -> ns.inside(stuckIn, () -> {
                            blockUntil(release);
                            Fd late = Kernel.openHost(lateDir, Kernel.O_PATH | Kernel.O_DIRECTORY);
                            opened.countDown();
                            return late;
                        }), LinuxException.class);
                assertThat(timedOut.errno()).isEqualTo(Errno.ETIMEDOUT);
            } finally {
                release.countDown();
            }
            assertThat(opened.await(10, TimeUnit.SECONDS)).as("the set-aside task opened its result").isTrue();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> ns.stalledCount() == 0);
            assertThat(fdsTo(lateDir)).as("the late result was closed by the lane, not leaked").isZero();
        }
    }

    /** Like a lookup through a stopped FUSE daemon: an interrupt does not end it (bounded at 30 s). */
    private static void blockUntil(CountDownLatch release) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (release.getCount() > 0 && System.nanoTime() < deadline) {
            try {
                release.await(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException ignored) {
                // keep blocking
            }
        }
    }

    /**
     * Opens {@code path} at fd {@code number}, just freed: the kernel gives out the lowest free
     * number, so at most a few opens (holding any lower numbers freed meanwhile) get it.
     */
    private static Fd reopenAtNumber(Path path, int number) throws Exception {
        java.util.List<Fd> lower = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 64; i++) {
                Fd fd = Kernel.openHost(path, Kernel.O_PATH | Kernel.O_DIRECTORY);
                if (fd.get() == number) return fd;
                lower.add(fd);
                if (fd.get() > number) break;
            }
        } finally {
            for (Fd fd : lower) fd.close();
        }
        throw new AssertionError("fd number " + number + " was not reused (taken by another thread?)");
    }

    /** How many of this process's fds refer to {@code path}. */
    private static int fdsTo(Path path) throws Exception {
        int n = 0;
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals(path.toString())) n++;
                } catch (java.io.IOException gone) {
                    // closed meanwhile (e.g. the directory stream's own fd)
                }
            }
        }
        return n;
    }

    private static int threadsNamed(String name) throws Exception {
        int n = 0;
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (Files.readString(task.resolve("comm")).trim().equals(name)) n++;
                } catch (java.io.IOException gone) {
                    // exited meanwhile
                }
            }
        }
        return n;
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
