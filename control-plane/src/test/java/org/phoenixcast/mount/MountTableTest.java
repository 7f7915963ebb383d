package org.phoenixcast.mount;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MountTableTest {

    static Stream<Arguments> lines() {
        return Stream.of(
                Arguments.of("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue",
                        new MountInfo(36, 35, "98:0", "/mnt1", "/mnt2", "rw,noatime", "ext3", "/dev/root",
                                "rw,errors=continue")),
                Arguments.of("22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw",
                        new MountInfo(22, 1, "0:21", "/", "/proc", "rw,nosuid,nodev,noexec,relatime", "proc", "proc", "rw")),
                Arguments.of("100 99 0:50 / /a\\040b rw shared:5 master:3 - tmpfs phoenix-cast rw,size=1024k",
                        new MountInfo(100, 99, "0:50", "/", "/a b", "rw", "tmpfs", "phoenix-cast", "rw,size=1024k")),
                Arguments.of("7 6 8:1 /x\\134y /new\\012line\\011tab ro - ext4 /dev/sda\\0401 ro",
                        new MountInfo(7, 6, "8:1", "/x\\y", "/new\nline\ttab", "ro", "ext4", "/dev/sda 1", "ro")),
                Arguments.of("8 6 8:1 / /fake\\040-\\040tmpfs\\040x rw - ext4 /dev/sda rw",
                        new MountInfo(8, 6, "8:1", "/", "/fake - tmpfs x", "rw", "ext4", "/dev/sda", "rw")),
                Arguments.of("9 6 8:1 / /caf\\303\\251 rw - ext4 /dev/sda rw",
                        new MountInfo(9, 6, "8:1", "/", "/café", "rw", "ext4", "/dev/sda", "rw")),
                Arguments.of("10 6 8:1 / /trailing\\ rw - ext4 /dev/sda rw",
                        new MountInfo(10, 6, "8:1", "/", "/trailing\\", "rw", "ext4", "/dev/sda", "rw")));
    }

    @ParameterizedTest
    @MethodSource("lines")
    void parsesLine(String line, MountInfo expected) {
        // mountinfo is read as ISO-8859-1 (bytes as chars); the UTF-8 case is escaped above
        assertThat(MountTable.parseLine(line)).isEqualTo(expected);
    }

    static Stream<String> malformed() {
        return Stream.of("", "garbage", "1 2 3 4 5 6 7 8 9 10", "x 1 0:1 / / rw - tmpfs a rw", "1 1 0:1 / / rw -");
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void skipsMalformed(String line) {
        assertThat(MountTable.parseLine(line)).isNull();
    }

    @Test
    void rawUtf8BytesDecode() {
        String raw = new String("1 0 0:1 / /caf\u00e9 rw - tmpfs t rw".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                java.nio.charset.StandardCharsets.ISO_8859_1);
        assertThat(MountTable.parse(raw + "\n")).singleElement().extracting(MountInfo::mountPoint).isEqualTo("/café");
    }

    @Test
    void readOnlyFlag() {
        assertThat(MountTable.parseLine("1 0 0:1 / /r ro,nosuid - tmpfs t rw").readOnly()).isTrue();
        assertThat(MountTable.parseLine("1 0 0:1 / /r rw,nosuid - tmpfs t ro").readOnly()).isFalse();
    }
}
