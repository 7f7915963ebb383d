package org.phoenixcast.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.phoenixcast.protocol.Reply;

/**
 * Replies are line-oriented: a guest command reads {@code ok} or {@code error: REASON} as the start
 * of a block. Reasons quote guest input, so neither a reason nor an output line may add a line of
 * its own, or a guest could make castd print a status line of its choosing.
 *
 * <p>Input (also of the seeds in {@code ReplyFuzzTestInputs/}): UTF-8 text, NUL-separated: the
 * reason, then output lines.
 */
class ReplyFuzzTest {

    @BeforeAll
    static void hookNothingUnlessFuzzing() {
        QuietReplay.hookNothingUnlessFuzzing();
    }

    /** An error reply is exactly one line; an ok reply is one line plus one per output line. */
    @FuzzTest(maxDuration = "20s")
    void replyNeverHasMoreLinesThanItsBlock(byte[] input) {
        String text = new String(input, StandardCharsets.UTF_8);
        String[] parts = text.split("\u0000", -1);
        Reply error = Reply.error(parts[0]);
        assertThat(error.render()).startsWith("error: ").endsWith("\n");
        assertThat(error.render().split("\n", -1)).hasSize(2);
        assertThat(error.render()).doesNotContain("\r");

        List<String> output = List.of(parts).subList(1, parts.length);
        String ok = Reply.ok(output).render();
        assertThat(ok.split("\n", -1)).hasSize(output.size() + 2); // "ok", the output lines, and "" after the last \n
        assertThat(ok).startsWith("ok\n").doesNotContain("\r");
        // Output lines are castd's own messages (PolicyFuzzTest checks none looks like a status
        // line); only their count is Reply's business. "error:\rx" does render as "error: x".
    }
}
