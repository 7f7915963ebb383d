package org.phoenixcast.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.phoenixcast.model.Verb;
import org.phoenixcast.protocol.Command;
import org.phoenixcast.protocol.CommandParser;
import org.phoenixcast.protocol.Reply;
import org.phoenixcast.protocol.RequestBody;
import org.phoenixcast.protocol.RequestName;

/**
 * A hostile guest's request file, from raw bytes, through every step castd takes before the
 * policy: the file name, the body's UTF-8 and NUL check, the split into at most 64 lines, and
 * each line's arguments for every verb. The only refusal allowed is an IllegalArgumentException
 * whose message is one non-empty line (it becomes the guest's reply); whatever parses must hold
 * canonical values, and the reply castd builds from them has one status line per block.
 *
 * <p>Input format (also of the seeds in {@code RequestFuzzTestInputs/}): the request file's name,
 * a newline, then the file's bytes. Plain {@code mvn test} replays the seeds; with
 * {@code JAZZER_FUZZ=1} Jazzer fuzzes for {@code maxDuration}.
 */
class RequestFuzzTest {

    @BeforeAll
    static void hookNothingUnlessFuzzing() {
        QuietReplay.hookNothingUnlessFuzzing();
    }
    /** castd's defaults (CastdConfig): the watcher reads at most 16 KiB, the worker takes 64 lines. */
    private static final int MAX_BYTES = 16 * 1024;
    private static final int MAX_LINES = 64;

    @FuzzTest(maxDuration = "20s")
    void requestFileIsRefusedInOneLineOrParsedIntoCanonicalValues(byte[] input) {
        int newline = indexOf(input, (byte) '\n');
        byte[] rawName = newline < 0 ? input : Arrays.copyOfRange(input, 0, newline);
        byte[] untrustedContent = newline < 0 ? new byte[0] : Arrays.copyOfRange(input, newline + 1, input.length);
        if (untrustedContent.length > MAX_BYTES) return; // the watcher refuses it before reading (DropDirectoryTest)

        // As DirectoryEntries decodes entry names: lenient UTF-8.
        String untrustedName = new String(rawName, StandardCharsets.UTF_8);
        if (RequestName.isTemporary(untrustedName)) return;
        RequestName name;
        try {
            name = RequestName.parse(untrustedName);
        } catch (IllegalArgumentException e) {
            requireOneLineReason(e);
            return;
        }
        assertThat(name.replyName()).isEqualTo(untrustedName).doesNotContain("/").isNotEqualTo("..");

        List<String> lines;
        try {
            lines = RequestBody.lines(RequestBody.decode(untrustedContent), MAX_LINES);
        } catch (IllegalArgumentException e) {
            requireOneLineReason(e);
            return;
        }
        assertThat(lines).hasSizeBetween(1, MAX_LINES);
        List<Reply> replies = new ArrayList<>();
        for (String untrustedLine : lines) {
            assertThat(untrustedLine).doesNotContain("\n").doesNotContain("\0");
            for (Verb verb : Verb.values()) {
                try {
                    Command command = CommandParser.parse(verb, untrustedLine);
                    assertThat(command.verb()).isEqualTo(verb);
                    CanonicalValues.require(command);
                    replies.add(Reply.ok(List.of()));
                } catch (IllegalArgumentException e) {
                    requireOneLineReason(e);
                    replies.add(Reply.error(e.getMessage()));
                }
            }
        }
        // The reply file castd writes: one block per line; the guest finds each block by its status line.
        String replyFile = String.join("", replies.stream().map(Reply::render).toList());
        assertThat(statusLines(replyFile)).isEqualTo(replies.size());
    }

    private static void requireOneLineReason(IllegalArgumentException e) {
        assertThat(e.getMessage()).as("reason of %s", e).isNotBlank().doesNotContain("\n").doesNotContain("\r");
    }

    /** Lines a guest command would read as the start of a block. */
    static int statusLines(String replyFile) {
        return (int) Arrays.stream(replyFile.split("\n")).filter(RequestFuzzTest::looksLikeStatus).count();
    }

    static boolean looksLikeStatus(String line) {
        return line.equals("ok") || line.startsWith("error: ");
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) return i;
        }
        return -1;
    }
}
