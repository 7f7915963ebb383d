package org.phoenixcast.discovery.docker;

import java.io.IOException;
import java.net.ProtocolException;
import java.util.Locale;

/**
 * An incremental, bounded parser of one HTTP/1.x response as dockerd sends it: status line,
 * headers, then a body delimited by Content-Length, by chunked transfer coding, or by the end of
 * the connection. Bytes are fed as they arrive; body bytes go to a {@link Body} sink, so an
 * endless event stream is never buffered.
 *
 * <p>Nothing the peer sends is trusted for sizes: headers are capped at {@link #MAX_HEADER_BYTES},
 * a chunk-size line at {@link #MAX_SIZE_LINE}, and the body at the caller's limit, whatever
 * Content-Length or a chunk size claims.
 */
final class HttpResponse {
    /** dockerd sends ~250 bytes of headers; 64 KiB leaves room for proxies and stays small. */
    static final int MAX_HEADER_BYTES = 64 * 1024;
    /** A chunk size is at most 16 hex digits plus extensions nobody sends. */
    static final int MAX_SIZE_LINE = 1024;

    /** Receives body bytes in order. */
    interface Body {
        void accept(byte[] buf, int off, int len) throws IOException;
    }

    private enum State { STATUS, HEADERS, FIXED, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILERS, TO_EOF, DONE }

    private final long maxBody;
    private final StringBuilder line = new StringBuilder();
    private State state = State.STATUS;
    private int headerBytes;
    private int status;
    private long contentLength = -1;
    private boolean chunked;
    private long remaining;
    private long bodyBytes;

    /** @param maxBody the most body bytes accepted (Long.MAX_VALUE for an event stream) */
    HttpResponse(long maxBody) {
        this.maxBody = maxBody;
    }

    int status() {
        return status;
    }

    /** True once the status line and headers were read. */
    boolean headersDone() {
        return state.ordinal() > State.HEADERS.ordinal();
    }

    /** True once the whole body was read (never for a body delimited by the connection's end). */
    boolean done() {
        return state == State.DONE;
    }

    /** Feeds {@code len} bytes; bytes after the end of the response are ignored. */
    void feed(byte[] buf, int off, int len, Body body) throws IOException {
        int i = off;
        int end = off + len;
        while (i < end && state != State.DONE) {
            switch (state) {
                case STATUS, HEADERS, CHUNK_SIZE, CHUNK_END, TRAILERS -> {
                    byte b = buf[i++];
                    if (b == '\n') {
                        String l = line.toString();
                        line.setLength(0);
                        endOfLine(l.endsWith("\r") ? l.substring(0, l.length() - 1) : l);
                    } else {
                        line.append((char) (b & 0xff));
                        int cap = state == State.CHUNK_SIZE || state == State.CHUNK_END ? MAX_SIZE_LINE : MAX_HEADER_BYTES;
                        if (line.length() > cap) throw new ProtocolException("HTTP line longer than " + cap + " bytes");
                    }
                    if (state == State.STATUS || state == State.HEADERS || state == State.TRAILERS) {
                        if (++headerBytes > MAX_HEADER_BYTES) {
                            throw new ProtocolException("HTTP headers longer than " + MAX_HEADER_BYTES + " bytes");
                        }
                    }
                }
                case FIXED, CHUNK_DATA -> {
                    int n = (int) Math.min(end - i, remaining);
                    deliver(buf, i, n, body);
                    i += n;
                    remaining -= n;
                    if (remaining == 0) state = state == State.FIXED ? State.DONE : State.CHUNK_END;
                }
                case TO_EOF -> {
                    deliver(buf, i, end - i, body);
                    i = end;
                }
                default -> throw new IllegalStateException(state.toString());
            }
        }
    }

    /** The connection ended: fine after a complete response or a body delimited by the end. */
    void endOfInput() throws IOException {
        if (state == State.TO_EOF) state = State.DONE;
        if (state != State.DONE) throw new ProtocolException("connection closed in the middle of the HTTP response (" + state + ")");
    }

    private void deliver(byte[] buf, int off, int len, Body body) throws IOException {
        bodyBytes += len;
        if (bodyBytes > maxBody) throw new ProtocolException("HTTP body larger than " + maxBody + " bytes");
        body.accept(buf, off, len);
    }

    private void endOfLine(String l) throws IOException {
        switch (state) {
            case STATUS -> {
                // "HTTP/1.1 200 OK"
                String[] parts = l.split(" ", 3);
                if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("[0-9]{3}")) {
                    throw new ProtocolException("not an HTTP status line: " + abbreviate(l));
                }
                status = Integer.parseInt(parts[1]);
                state = State.HEADERS;
            }
            case HEADERS -> {
                if (!l.isEmpty()) {
                    header(l);
                } else if (status / 100 == 1) {
                    state = State.STATUS; // 100 Continue and friends precede the real response
                } else if (status == 204 || status == 304) {
                    state = State.DONE;
                } else if (chunked) {
                    state = State.CHUNK_SIZE;
                } else if (contentLength >= 0) {
                    remaining = contentLength;
                    state = contentLength == 0 ? State.DONE : State.FIXED;
                } else {
                    state = State.TO_EOF;
                }
            }
            case CHUNK_SIZE -> {
                int semi = l.indexOf(';');
                String hex = (semi < 0 ? l : l.substring(0, semi)).trim();
                if (hex.isEmpty() || hex.length() > 15 || !hex.matches("[0-9a-fA-F]+")) {
                    throw new ProtocolException("bad chunk size: " + abbreviate(l));
                }
                remaining = Long.parseLong(hex, 16);
                state = remaining == 0 ? State.TRAILERS : State.CHUNK_DATA;
            }
            case CHUNK_END -> {
                if (!l.isEmpty()) throw new ProtocolException("chunk not followed by CRLF");
                state = State.CHUNK_SIZE;
            }
            case TRAILERS -> {
                if (l.isEmpty()) state = State.DONE;
            }
            default -> throw new IllegalStateException(state.toString());
        }
    }

    private void header(String l) throws ProtocolException {
        int colon = l.indexOf(':');
        if (colon <= 0) throw new ProtocolException("bad HTTP header: " + abbreviate(l));
        String name = l.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = l.substring(colon + 1).trim();
        if (name.equals("transfer-encoding")) {
            chunked = value.toLowerCase(Locale.ROOT).endsWith("chunked");
        } else if (name.equals("content-length")) {
            if (!value.matches("[0-9]{1,18}")) throw new ProtocolException("bad Content-Length: " + abbreviate(value));
            contentLength = Long.parseLong(value);
        }
    }

    /** A short printable excerpt of peer text for error messages. */
    static String abbreviate(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        StringBuilder out = new StringBuilder();
        for (char c : t.toCharArray()) out.append(c < 0x20 || c >= 0x7f ? '?' : c);
        return out.toString();
    }
}
