package org.phoenixcast.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * castd's admin endpoint: a Unix socket STATE/castd.sock, mode 0600 inside the 0700 state
 * directory, so only host root reaches it (no TCP listener at all). One JSON request line per
 * connection, one JSON response.
 */
public final class AdminServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
    /** A casts.ini import is the largest request; 4 MiB is far beyond any real one. */
    static final int MAX_REQUEST_BYTES = 4 << 20;
    static final ObjectMapper JSON = new ObjectMapper();

    private final Path socket;
    private final ControlPlane plane;
    private final ServerSocketChannel server;
    private final ExecutorService handlers = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "castd-admin");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean open = true;

    private AdminServer(Path socket, ControlPlane plane, ServerSocketChannel server) {
        this.socket = socket;
        this.plane = plane;
        this.server = server;
    }

    public static AdminServer start(Path socket, ControlPlane plane) throws IOException {
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        AdminServer admin = new AdminServer(socket, plane, server);
        Thread acceptor = new Thread(admin::acceptLoop, "castd-admin-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        log.info("admin socket listening at {}", socket);
        return admin;
    }

    private void acceptLoop() {
        while (open) {
            try {
                SocketChannel client = server.accept();
                handlers.submit(() -> serve(client));
            } catch (IOException e) {
                if (open) log.warn("admin accept failed: {}", e.getMessage());
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client) {
            AdminRequest request = JSON.readValue(readLine(client), AdminRequest.class);
            AdminResponse response = execute(request);
            byte[] out = (JSON.writeValueAsString(response) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ByteBuffer buffer = ByteBuffer.wrap(out);
            while (buffer.hasRemaining()) client.write(buffer);
        } catch (IOException | RuntimeException e) {
            log.warn("admin request failed: {}", e.toString());
        }
    }

    private static byte[] readLine(SocketChannel client) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        while (client.read(buffer) >= 0) {
            buffer.flip();
            while (buffer.hasRemaining()) {
                byte b = buffer.get();
                if (b == '\n') return line.toByteArray();
                line.write(b);
            }
            buffer.clear();
            if (line.size() > MAX_REQUEST_BYTES) throw new IOException("admin request larger than " + MAX_REQUEST_BYTES + " bytes");
        }
        return line.toByteArray();
    }

    AdminResponse execute(AdminRequest request) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = AdminCommands.commandLine(new AdminCommands.Context(plane, request.stdin()));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(request.args().toArray(String[]::new));
        log.info("admin {} -> exit {}", String.join(" ", request.args()), exit);
        return new AdminResponse(exit, out.toString(), err.toString());
    }

    @Override
    public void close() {
        open = false;
        try {
            server.close();
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            log.debug("closing admin socket: {}", e.getMessage());
        }
        handlers.shutdownNow();
    }

}
