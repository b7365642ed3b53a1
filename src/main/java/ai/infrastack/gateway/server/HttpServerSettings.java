package ai.infrastack.gateway.server;

import java.util.List;
import java.util.Set;

/** The HTTP server's settings, read once from {@code application.properties} (see there for each). */
public record HttpServerSettings(
        String host,
        int port,
        long maxBodyBytes,
        int idleTimeoutSeconds,
        long requestReadTimeoutMs,
        boolean h2c,
        int http2MaxStreams,
        int acceptBacklog,
        List<String> corsOrigins,
        int corsMaxAgeSeconds,
        Set<String> eventLoopPaths) {
}
