package dev.capacity.stress.internal;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A free local port for an embedded server, picked below Linux's ephemeral range: a server that
 * is stopped and started again on its port (the restart fault) must find it still free, and the
 * kernel hands ports in the ephemeral range to every outgoing connection meanwhile (the pool's
 * own among them).
 */
final class LocalPorts {

    private LocalPorts() {}

    /** A port between 10000 and the ephemeral range that nobody listens on now. */
    static int free() throws IOException {
        int below = ephemeralLow();
        for (int i = 0; i < 200; i++) {
            int port = 10_000 + ThreadLocalRandom.current().nextInt(below - 10_000);
            try (ServerSocket socket = new ServerSocket(port)) {
                return socket.getLocalPort();
            } catch (IOException taken) {
                // someone listens there: try another
            }
        }
        throw new IOException("no free port between 10000 and " + below);
    }

    /** The first port of Linux's ephemeral range, or 32768 (its default) where it cannot be read. */
    private static int ephemeralLow() {
        try {
            int low = Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim()
                    .split("\\s+")[0]);
            return low >= 12_000 ? low : 32_768;
        } catch (IOException | RuntimeException e) {
            return 32_768;
        }
    }
}
