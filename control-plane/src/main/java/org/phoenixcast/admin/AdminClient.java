package org.phoenixcast.admin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** castctl's side of the admin socket. */
public final class AdminClient {
    private final Path socket;

    public AdminClient(Path socket) {
        this.socket = socket;
    }

    /** castd's socket does not answer: castd is not running, or runs with another state directory. */
    public static final class CastdUnreachable extends IOException {
        private static final long serialVersionUID = 1L;

        CastdUnreachable(String message, IOException cause) {
            super(message, cause);
        }
    }

    public AdminResponse call(AdminRequest request) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            try {
                channel.connect(UnixDomainSocketAddress.of(socket));
            } catch (IOException e) {
                throw new CastdUnreachable("castd is not running (cannot connect to " + socket + ": " + e.getMessage() + ")", e);
            }
            ByteBuffer out = ByteBuffer.wrap((AdminServer.JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) channel.write(out);
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            ByteBuffer buffer = ByteBuffer.allocate(65536);
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                in.write(buffer.array(), 0, buffer.limit());
                buffer.clear();
            }
            if (in.size() == 0) throw new IOException("castd closed the admin connection without answering");
            return AdminServer.JSON.readValue(in.toByteArray(), AdminResponse.class);
        }
    }
}
