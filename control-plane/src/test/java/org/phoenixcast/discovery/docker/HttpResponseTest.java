package org.phoenixcast.discovery.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The HTTP layer against responses recorded from dockerd 20.10 (Debian docker.io). */
class HttpResponseTest {

    /** A recorded response (status line to end), from src/test/resources. */
    static byte[] recorded(String name) throws IOException {
        try (InputStream in = HttpResponseTest.class.getResourceAsStream(name)) {
            if (in == null) throw new IOException("no test resource " + name);
            return in.readAllBytes();
        }
    }

    /** Everything after the blank line that ends the headers. */
    static byte[] rawBody(byte[] response) {
        String s = new String(response, StandardCharsets.ISO_8859_1);
        return s.substring(s.indexOf("\r\n\r\n") + 4).getBytes(StandardCharsets.ISO_8859_1);
    }

    record Parsed(int status, boolean done, byte[] body) {}

    /** Feeds {@code response} in pieces of {@code step} bytes, then the end of input. */
    static Parsed parse(byte[] response, int step, long maxBody) throws IOException {
        HttpResponse r = new HttpResponse(maxBody);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int off = 0; off < response.length; off += step) {
            r.feed(response, off, Math.min(step, response.length - off), body::write);
        }
        boolean doneBeforeEnd = r.done();
        r.endOfInput();
        return new Parsed(r.status(), doneBeforeEnd, body.toByteArray());
    }

    static Stream<Arguments> recordedResponses() {
        return Stream.of(
                Arguments.of("containers-content-length.http", 200, 1554),
                Arguments.of("containers-chunked.http", 200, 8035),
                Arguments.of("inspect-running.http", 200, -1),
                Arguments.of("inspect-missing.http", 404, 98));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("recordedResponses")
    void readsRecordedResponsesWhateverTheReadSizes(String file, int status, int bodyLength) throws IOException {
        byte[] response = recorded(file);
        Parsed whole = parse(response, response.length, 1 << 20);
        Parsed byByte = parse(response, 1, 1 << 20);
        Parsed odd = parse(response, 7, 1 << 20);
        assertThat(whole.status()).isEqualTo(status);
        assertThat(whole.done()).isTrue();
        assertThat(byByte.body()).isEqualTo(whole.body());
        assertThat(odd.body()).isEqualTo(whole.body());
        if (bodyLength >= 0) assertThat(whole.body()).hasSize(bodyLength);
        String text = new String(whole.body(), StandardCharsets.UTF_8);
        assertThat(text).startsWith(status == 200 && file.startsWith("containers") ? "[" : "{");
        assertThat(text.strip()).endsWith(status == 200 && file.startsWith("containers") ? "]" : "}");
    }

    @Test
    void dechunksTheRecordedEventStream() throws IOException {
        byte[] response = recorded("events.http");
        HttpResponse r = new HttpResponse(Long.MAX_VALUE);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte b : response) r.feed(new byte[] {b}, 0, 1, body::write);
        assertThat(r.headersDone()).isTrue();
        assertThat(r.done()).isFalse(); // the stream was cut while open
        String[] lines = body.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(6).allSatisfy(l -> assertThat(l).startsWith("{\"status\":"));
        assertThatThrownBy(r::endOfInput).isInstanceOf(ProtocolException.class);
    }

    @Test
    void refusesABodyLargerThanTheLimitWhateverContentLengthSays() {
        byte[] response = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> parse(response, response.length, 9))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("larger than 9 bytes");
        byte[] chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffff\r\nabc".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> parse(chunked, chunked.length, 2))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("larger than 2 bytes");
    }

    @Test
    void refusesEndlessHeaders() {
        HttpResponse r = new HttpResponse(100);
        byte[] start = "HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] header = "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
                .getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> {
            r.feed(start, 0, start.length, (b, o, l) -> {});
            for (int i = 0; i < 10_000; i++) r.feed(header, 0, header.length, (b, o, l) -> {});
        }).isInstanceOf(ProtocolException.class).hasMessageContaining("headers longer than");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "SSH-2.0-OpenSSH\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1234567890abcdef0\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY\r\n",
    })
    void refusesMalformedResponses(String response) {
        byte[] bytes = response.getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> parse(bytes, 1, 1 << 20)).isInstanceOf(ProtocolException.class);
    }

    @Test
    void refusesAResponseCutShort() {
        byte[] bytes = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> parse(bytes, bytes.length, 100))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("closed in the middle");
    }

    @Test
    void takesABodyDelimitedByTheConnectionsEnd() throws IOException {
        byte[] bytes = "HTTP/1.0 200 OK\r\n\r\n[]".getBytes(StandardCharsets.US_ASCII);
        Parsed p = parse(bytes, 1, 100);
        assertThat(p.done()).isFalse();
        assertThat(new String(p.body(), StandardCharsets.US_ASCII)).isEqualTo("[]");
    }

    @Test
    void skipsInterimResponsesAndIgnoresTrailingBytes() throws IOException {
        byte[] bytes = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]garbage"
                .getBytes(StandardCharsets.US_ASCII);
        Parsed p = parse(bytes, 3, 100);
        assertThat(p.status()).isEqualTo(200);
        assertThat(new String(p.body(), StandardCharsets.US_ASCII)).isEqualTo("[]");
    }
}
