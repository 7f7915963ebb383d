package org.phoenixcast.discovery;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Cuts a byte stream into newline-terminated UTF-8 lines of at most {@code maxBytes} bytes
 * (a trailing CR is dropped). A longer line is never buffered whole: its bytes are dropped up to
 * the next newline and it is reported once as {@code null}. Blank lines are skipped.
 * Not thread-safe: one reader thread feeds it.
 */
public final class LineSplitter {
    private final int maxBytes;
    private final Consumer<String> sink;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private boolean oversized;

    public LineSplitter(int maxBytes, Consumer<String> sink) {
        if (maxBytes <= 0) throw new IllegalArgumentException("maxBytes " + maxBytes);
        this.maxBytes = maxBytes;
        this.sink = sink;
    }

    /** Passes on every line that {@code buf[0..length)} completes; keeps the rest for the next call. */
    public void feed(byte[] buf, int length) {
        int start = 0;
        for (int i = 0; i < length; i++) {
            if (buf[i] != '\n') continue;
            append(buf, start, i - start);
            finish();
            start = i + 1;
        }
        append(buf, start, length - start);
    }

    private void append(byte[] buf, int off, int len) {
        if (len == 0 || oversized) return;
        if (line.size() + len > maxBytes) {
            oversized = true;
            line.reset();
            sink.accept(null);
            return;
        }
        line.write(buf, off, len);
    }

    private void finish() {
        if (oversized) {
            oversized = false;
            return;
        }
        byte[] bytes = line.toByteArray();
        line.reset();
        int len = bytes.length;
        if (len > 0 && bytes[len - 1] == '\r') len--;
        String s = new String(bytes, 0, len, StandardCharsets.UTF_8);
        if (!s.isBlank()) sink.accept(s);
    }
}
