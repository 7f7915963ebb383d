package org.phoenixcast.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DropDirectoryTest {
    @TempDir
    Path dir;
    private LinuxDropDirectory drop;

    @BeforeEach
    void open() throws Exception {
        drop = LinuxDropDirectory.open(dir);
    }

    @AfterEach
    void close() {
        drop.close();
    }

    @Test
    void readsARegularFile() throws Exception {
        Files.writeString(dir.resolve("caston.1"), "cast /a /b\n");
        assertThat(drop.list()).containsExactly("caston.1");
        RequestFile file = drop.read("caston.1", 100);
        assertThat(new String(file.content(), StandardCharsets.UTF_8)).isEqualTo("cast /a /b\n");
        assertThat(file.inode()).isEqualTo(Files.getAttribute(dir.resolve("caston.1"), "unix:ino"));
        assertThat(file.ctimeNanos()).isPositive();
        drop.remove("caston.1");
        assertThat(drop.list()).isEmpty();
        drop.remove("caston.1"); // missing is fine
    }

    /**
     * A request written in several steps: while a writer has it open, read() neither refuses
     * nor reads it (RequestFileIncomplete, file left in place); once the writer closes, the whole
     * content is read.
     */
    @Test
    void leavesAFileStillOpenForWritingUntilItsWriterClosesIt() throws Exception {
        Path file = dir.resolve("caston.1");
        try (var writer = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            writer.write(java.nio.ByteBuffer.wrap("peer:/srv/ha".getBytes(StandardCharsets.UTF_8)));
            assertThatThrownBy(() -> drop.read("caston.1", 100))
                    .isInstanceOf(RequestFileIncomplete.class).hasMessage("is still open for writing");
            assertThat(drop.list()).containsExactly("caston.1");
            writer.write(java.nio.ByteBuffer.wrap("lf\n".getBytes(StandardCharsets.UTF_8)));
            assertThatThrownBy(() -> drop.read("caston.1", 100)).isInstanceOf(RequestFileIncomplete.class);
        }
        assertThat(new String(drop.read("caston.1", 100).content(), StandardCharsets.UTF_8)).isEqualTo("peer:/srv/half\n");
    }

    /** Another process holding it open for writing counts as well (the guest's case). */
    @Test
    void leavesAFileAnotherProcessHoldsOpenForWriting() throws Exception {
        Process writer = new ProcessBuilder("sh", "-c", "exec 3>\"$1\"; printf 'peer:/srv/ha' >&3; echo ready; read x; "
                + "printf 'lf\\n' >&3", "sh", dir.resolve("caston.2").toString()).start();
        try {
            assertThat(new java.io.BufferedReader(new java.io.InputStreamReader(writer.getInputStream())).readLine())
                    .isEqualTo("ready");
            assertThatThrownBy(() -> drop.read("caston.2", 100)).isInstanceOf(RequestFileIncomplete.class);
            writer.getOutputStream().write('\n');
            writer.getOutputStream().close();
            assertThat(writer.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        } finally {
            writer.destroyForcibly();
        }
        assertThat(new String(drop.read("caston.2", 100).content(), StandardCharsets.UTF_8)).isEqualTo("peer:/srv/half\n");
    }

    /**
     * While castd holds its read lease, a writer's open waits (the kernel breaks the lease and
     * signals castd with SIGIO, which must not end the process) and goes on once the lease is
     * released: the bytes castd reads cannot change under it.
     */
    @Test
    void aWriterWaitsWhileTheLeaseIsHeldAndItsSignalDoesNoHarm() throws Exception {
        Path file = Files.writeString(dir.resolve("caston.3"), "peer:/srv/x\n");
        try (Fd fd = Kernel.openHost(file, Kernel.O_RDONLY | Kernel.O_NOFOLLOW)) {
            java.util.concurrent.CompletableFuture<Void> write;
            try (ReadLease lease = ReadLease.take(fd, "caston.3")) {
                write = java.util.concurrent.CompletableFuture.runAsync(() -> {
                    try {
                        Files.writeString(file, "peer:/etc\n", java.nio.file.StandardOpenOption.APPEND);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                org.awaitility.Awaitility.await("writer still waits for the lease").during(Duration.ofMillis(300))
                        .atMost(Duration.ofSeconds(2)).until(() -> !write.isDone());
                assertThat(Files.readString(file)).isEqualTo("peer:/srv/x\n");
            }
            write.get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertThat(Files.readString(file)).isEqualTo("peer:/srv/x\npeer:/etc\n");
    }

    /**
     * A file another holder keeps under a write lease: read() neither blocks for the lease break
     * (up to lease-break-time, 45 s by default) nor refuses it; it is incomplete until released.
     */
    @Test
    void neverWaitsForAFileUnderAWriteLease() throws Exception {
        Path file = Files.writeString(dir.resolve("caston.4"), "peer:/srv/x\n");
        try (Fd holder = Kernel.openHost(file, Kernel.O_RDONLY | Kernel.O_NOFOLLOW)) {
            assertThat(Native.libc().fcntl(holder.get(), 1024, 1)).as("F_SETLEASE F_WRLCK").isZero();
            assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertThatThrownBy(() -> drop.read("caston.4", 100))
                    .isInstanceOf(RequestFileIncomplete.class).hasMessageContaining("lease"));
        }
        assertThat(new String(drop.read("caston.4", 100).content(), StandardCharsets.UTF_8)).isEqualTo("peer:/srv/x\n");
    }

    @Test
    void refusesAFifoWithoutBlocking() throws Exception {
        new ProcessBuilder("mkfifo", dir.resolve("fifo").toString()).start().waitFor();
        assertTimeoutPreemptively(Duration.ofSeconds(5), () ->
                assertThatThrownBy(() -> drop.read("fifo", 100))
                        .isInstanceOf(RequestFileRefused.class).hasMessageContaining("FIFO"));
        drop.remove("fifo");
        assertThat(drop.list()).isEmpty();
    }

    @Test
    void refusesASymlinkWithoutFollowingIt() throws Exception {
        Path secret = Files.writeString(Files.createTempFile("secret", ""), "secret");
        try {
            Files.createSymbolicLink(dir.resolve("link"), secret);
            assertThatThrownBy(() -> drop.read("link", 100))
                    .isInstanceOf(RequestFileRefused.class).hasMessageContaining("symlink");
            drop.remove("link");
            assertThat(secret).exists();
        } finally {
            Files.delete(secret);
        }
    }

    @Test
    void refusesAHardLink() throws Exception {
        Files.writeString(dir.resolve("a"), "x");
        Files.createLink(dir.resolve("b"), dir.resolve("a"));
        assertThatThrownBy(() -> drop.read("b", 100))
                .isInstanceOf(RequestFileRefused.class).hasMessageContaining("2 links");
    }

    @Test
    void refusesADirectoryAndRemovesIt() throws Exception {
        Files.createDirectories(dir.resolve("d/e"));
        Files.writeString(dir.resolve("d/e/f"), "x");
        assertThatThrownBy(() -> drop.read("d", 100))
                .isInstanceOf(RequestFileRefused.class).hasMessageContaining("a directory");
        drop.remove("d");
        assertThat(drop.list()).isEmpty();
    }

    @Test
    void refusesASocket() throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(dir.resolve("sock")));
            assertThatThrownBy(() -> drop.read("sock", 100))
                    .isInstanceOf(RequestFileRefused.class).hasMessageContaining("socket");
        }
    }

    @Test
    void refusesAnOversizedFile() throws Exception {
        Files.write(dir.resolve("big"), new byte[101]);
        Files.write(dir.resolve("exact"), new byte[100]);
        assertThatThrownBy(() -> drop.read("big", 100))
                .isInstanceOf(RequestFileRefused.class).hasMessageContaining("larger than 100 bytes");
        assertThat(drop.read("exact", 100).content()).hasSize(100);
    }

    @Test
    void rejectsNamesThatAreNotSingleComponents() {
        for (String bad : new String[] {"", ".", "..", "a/b", "../x"}) {
            assertThatThrownBy(() -> drop.read(bad, 100)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void missingEntryIsALinuxException() {
        assertThatThrownBy(() -> drop.read("nothing", 100))
                .isInstanceOf(LinuxException.class)
                .satisfies(e -> assertThat(((LinuxException) e).errno()).isEqualTo(Errno.ENOENT));
    }

    @Test
    void nonUtf8NamesComeBackWithReplacementAndCanBeRemoved() throws IOException, LinuxException, InterruptedException {
        // Java cannot name this file; let the shell do it
        int rc = new ProcessBuilder("sh", "-c", "printf x > \"$1\"/$(printf 'bad\\377name')", "sh", dir.toString())
                .start().waitFor();
        assertThat(rc).isZero();
        assertThat(drop.list()).containsExactly("bad\uFFFDname");
        assertThatThrownBy(() -> drop.read("bad\uFFFDname", 100)).isInstanceOf(RequestFileRefused.class);
        drop.remove("bad\uFFFDname");
        assertThat(drop.list()).isEmpty();
    }
}
