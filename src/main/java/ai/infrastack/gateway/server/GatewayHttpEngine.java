package ai.infrastack.gateway.server;

import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;

import java.util.Set;
import java.util.concurrent.Executor;

/**
 * The platform-http engine the YAML routes' {@code platform-http:} endpoints are served by: found
 * in the registry under platform-http's engine name, it makes {@link VirtualThreadConsumer}s on
 * {@link GatewayHttpServer}'s router.
 */
final class GatewayHttpEngine extends VertxPlatformHttpEngine {
    private final GatewayHttpServer server;
    private final Executor requestThreads;
    private final InFlightLimits limits;
    private final Set<String> eventLoopPaths;
    private final int retryAfterSeconds;

    GatewayHttpEngine(GatewayHttpServer server, Executor requestThreads, InFlightLimits limits, Set<String> eventLoopPaths,
                      int retryAfterSeconds) {
        this.server = server;
        this.requestThreads = requestThreads;
        this.limits = limits;
        this.eventLoopPaths = eventLoopPaths;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        return new VirtualThreadConsumer(endpoint, processor, server.routerName(),
                requestThreads, limits, eventLoopPaths.contains(endpoint.getPath()), retryAfterSeconds);
    }

    @Override
    public int getServerPort() {
        return server.port();
    }
}
