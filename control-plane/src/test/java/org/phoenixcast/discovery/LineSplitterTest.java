package org.phoenixcast.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineSplitterTest {
    private final List<String> lines = new ArrayList<>();

    private void feed(LineSplitter s, String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        s.feed(b, b.length);
    }

    @Test
    void joinsLinesSplitAcrossReadsAndDropsCrAndBlankLines() {
        LineSplitter s = new LineSplitter(100, lines::add);
        feed(s, "{\"a\":1}\r\n\n{\"b\"");
        feed(s, ":2}\n   \n{\"c\":");
        assertThat(lines).containsExactly("{\"a\":1}", "{\"b\":2}");
        feed(s, "3}\n");
        assertThat(lines).containsExactly("{\"a\":1}", "{\"b\":2}", "{\"c\":3}");
    }

    @Test
    void reportsAnOversizedLineOnceWithoutBufferingItAndGoesOn() {
        LineSplitter s = new LineSplitter(10, lines::add);
        feed(s, "0123456789"); // exactly the limit: fine
        feed(s, "\n");
        for (int i = 0; i < 1000; i++) feed(s, "xxxxxxxxxxxxxxxxxxxxxxxxx");
        feed(s, "\nok\n");
        assertThat(lines).containsExactly("0123456789", null, "ok");
    }

    @Test
    void keepsUtf8Intact() {
        LineSplitter s = new LineSplitter(100, lines::add);
        byte[] b = "caf\u00e9\n".getBytes(StandardCharsets.UTF_8);
        s.feed(new byte[] {b[0], b[1], b[2], b[3]}, 4);
        s.feed(new byte[] {b[4], b[5]}, 2);
        assertThat(lines).containsExactly("caf\u00e9");
    }
}
