package org.phoenixcast.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplyDirectoryTest {
    @TempDir
    Path dir;

    @Test
    void writesAtomicallyWithTheGivenMode() throws Exception {
        try (LinuxReplyDirectory replies = LinuxReplyDirectory.open(dir)) {
            replies.writeAtomically("status", "one\n".getBytes(StandardCharsets.UTF_8), 0644);
            replies.writeAtomically("status", "two\n".getBytes(StandardCharsets.UTF_8), 0640);
            assertThat(Files.readString(dir.resolve("status"))).isEqualTo("two\n");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("status"))))
                    .isEqualTo("rw-r-----");
            try (var entries = Files.list(dir)) {
                assertThat(entries.map(p -> p.getFileName().toString())).containsExactly("status");
            }
            replies.remove("status");
            replies.remove("status");
            assertThat(dir.resolve("status")).doesNotExist();
        }
    }

    @Test
    void replacesAPlantedSymlinkInsteadOfFollowingIt() throws Exception {
        Path victim = Files.writeString(Files.createTempFile("victim", ""), "untouched");
        try (LinuxReplyDirectory replies = LinuxReplyDirectory.open(dir)) {
            Files.createSymbolicLink(dir.resolve("reply.1"), victim);
            replies.writeAtomically("reply.1", "ok\n".getBytes(StandardCharsets.UTF_8), 0644);
            assertThat(Files.isSymbolicLink(dir.resolve("reply.1"))).isFalse();
            assertThat(Files.readString(dir.resolve("reply.1"))).isEqualTo("ok\n");
            assertThat(Files.readString(victim)).isEqualTo("untouched");
        } finally {
            Files.delete(victim);
        }
    }

    @Test
    void subdirectoryIsCreatedAndNeverFollowedThroughASymlink() throws Exception {
        Path elsewhere = Files.createTempDirectory("elsewhere");
        try (LinuxReplyDirectory replies = LinuxReplyDirectory.open(dir)) {
            try (ReplyDirectory sub = replies.subdirectory("replies")) {
                sub.writeAtomically("r", new byte[] {1}, 0600);
            }
            assertThat(dir.resolve("replies/r")).exists();
            try (ReplyDirectory again = replies.subdirectory("replies")) {
                again.remove("r");
            }
            Files.createSymbolicLink(dir.resolve("evil"), elsewhere);
            assertThatThrownBy(() -> replies.subdirectory("evil"))
                    .isInstanceOf(LinuxException.class)
                    .satisfies(e -> assertThat(((LinuxException) e).errno()).isIn(Errno.ELOOP, Errno.ENOTDIR));
            assertThat(Files.isSymbolicLink(dir.resolve("evil"))).isTrue();
            try (var inside = Files.list(elsewhere)) {
                assertThat(inside).isEmpty();
            }
        } finally {
            Files.delete(elsewhere);
        }
    }
}
