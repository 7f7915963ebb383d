package org.phoenixcast.discovery.docker;

import java.io.Closeable;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * One non-blocking connection to dockerd's Unix socket, with every wait bounded by a deadline
 * (a wedged daemon must not hold the discovery thread). {@link #close()} may be called from any
 * thread and ends a read blocked without a deadline (the event stream).
 */
final class EngineConnection implements Closeable {
    /** No deadline: the event stream waits for the daemon's next event, or close(). */
    static final long FOREVER = Long.MAX_VALUE;

    private final SocketChannel channel;
    private final Selector selector;

    private EngineConnection(SocketChannel channel, Selector selector) {
        this.channel = channel;
        this.selector = selector;
    }

    /** Connects before {@code deadline} (System.nanoTime()); fails with the socket's error. */
    static EngineConnection open(Path socket, long deadline) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        Selector sel = null;
        try {
            ch.configureBlocking(false);
            sel = Selector.open();
            EngineConnection c = new EngineConnection(ch, sel);
            if (!ch.connect(UnixDomainSocketAddress.of(socket))) {
                ch.register(sel, SelectionKey.OP_CONNECT);
                while (!ch.finishConnect()) c.select(deadline, "connecting to " + socket);
            }
            return c;
        } catch (IOException | RuntimeException e) {
            ch.close();
            if (sel != null) sel.close();
            throw e;
        }
    }

    /** Writes the whole request before {@code deadline}. */
    void send(String request, long deadline) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
        while (out.hasRemaining()) {
            if (channel.write(out) == 0) {
                channel.register(selector, SelectionKey.OP_WRITE);
                select(deadline, "sending the request");
            }
        }
    }

    /** Reads what is there into {@code buf}, waiting until {@code deadline}; -1 at the end. */
    int read(byte[] buf, long deadline) throws IOException {
        ByteBuffer in = ByteBuffer.wrap(buf);
        while (true) {
            int n = channel.read(in);
            if (n != 0) return n;
            channel.register(selector, SelectionKey.OP_READ);
            select(deadline, "waiting for dockerd's answer");
        }
    }

    private void select(long deadline, String what) throws IOException {
        if (deadline == FOREVER) {
            selector.select();
        } else {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new SocketTimeoutException("timed out " + what);
            selector.select(Math.max(1, left / 1_000_000));
        }
        if (!selector.isOpen() || !channel.isOpen()) throw new IOException("connection closed");
        selector.selectedKeys().clear();
    }

    @Override
    public void close() throws IOException {
        try {
            selector.close(); // wakes a read blocked in select()
        } finally {
            channel.close();
        }
    }
}
