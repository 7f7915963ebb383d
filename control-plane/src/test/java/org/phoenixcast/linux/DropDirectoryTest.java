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
