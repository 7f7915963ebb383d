package org.phoenixcast.discovery.docker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A Unix socket that answers each HTTP request with bytes chosen by the test (recorded dockerd
 * responses, or hostile ones), for the transport tests. It is not a Docker fake: it knows no
 * API; the adapter's behaviour against a real dockerd is DockerAdapterIT's job.
 */
final class ReplaySocket implements AutoCloseable {
    /** What to send for one request. */
    record Reply(byte[] bytes, boolean keepOpen) {
        static Reply of(byte[] bytes) {
            return new Reply(bytes, false);
        }

        /** Never answer; keep the connection open until the server closes. */
        static Reply silence() {
            return new Reply(new byte[0], true);
        }
    }

    private final Path path;
    private final ServerSocketChannel server;
    private final Thread thread;
    private final List<String> targets = new CopyOnWriteArrayList<>();
    private final List<SocketChannel> open = new CopyOnWriteArrayList<>();

    ReplaySocket(Path path, Function<String, Reply> replies) throws IOException {
        this.path = path;
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        this.thread = new Thread(() -> serve(replies), "replay-socket");
        thread.setDaemon(true);
        thread.start();
    }

    /** The request targets seen, in order ("/containers/json", ...). */
    List<String> targets() {
        return targets;
    }

    private void serve(Function<String, Reply> replies) {
        while (server.isOpen()) {
            SocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                return;
            }
            try {
                String target = readRequestTarget(c);
                targets.add(target);
                Reply reply = replies.apply(target);
                // Listed before the first byte goes out: once the client has read the reply it
                // may push() at once, and that push must reach this connection.
                if (reply.keepOpen()) open.add(c);
                ByteBuffer out = ByteBuffer.wrap(reply.bytes());
                while (out.hasRemaining()) c.write(out);
                if (!reply.keepOpen()) c.close();
            } catch (IOException e) {
                try {
                    c.close();
                } catch (IOException ignored) {
                    // the client went first
                }
            }
        }
    }

    /** Sends more bytes on every connection kept open (an event stream's next event). */
    void push(byte[] bytes) throws IOException {
        for (SocketChannel c : open) c.write(ByteBuffer.wrap(bytes));
    }

    /** Closes the connections kept open, as a daemon that goes away. */
    void hangUp() throws IOException {
        for (SocketChannel c : open) c.close();
        open.clear();
    }

    private static String readRequestTarget(SocketChannel c) throws IOException {
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(4096);
        while (!in.toString(StandardCharsets.US_ASCII).contains("\r\n\r\n")) {
            buf.clear();
            if (c.read(buf) < 0) break;
            in.write(buf.array(), 0, buf.position());
        }
        String first = in.toString(StandardCharsets.US_ASCII).lines().findFirst().orElse("");
        String[] parts = first.split(" ");
        return parts.length > 1 ? parts[1] : "";
    }

    @Override
    public void close() throws IOException {
        server.close();
        hangUp();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(path);
    }
}
