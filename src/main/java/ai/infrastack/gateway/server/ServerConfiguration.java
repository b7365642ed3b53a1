package ai.infrastack.gateway.server;

import ai.infrastack.gateway.core.Lifecycle;
import ai.infrastack.gateway.core.Settings;
import ai.infrastack.gateway.metrics.GatewayMetrics;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.http.CompositeHttpConfigurer;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.camel.component.platform.http.PlatformHttpConstants;
import org.apache.camel.component.platform.http.spi.PlatformHttpEngine;
import org.apache.camel.spi.Registry;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * Binds how requests are carried: the HTTP server, the platform-http engine that runs each request
 * on a virtual thread, admission control, and the upstream connection pool with the hooks every
 * upstream call goes through. Every default is in {@code application.properties}. Runs after the
 * configuration that binds {@code gatewayMetrics} and {@code upstreamTimer}.
 */
public final class ServerConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        Settings settings = Settings.of(context);
        Function<String, String> setting = settings::optional;
        Registry registry = context.getRegistry();

        HttpServerSettings server = new HttpServerSettings(
                settings.require("camel.server.host"),
                Integer.parseInt(settings.require("camel.server.port")),
                Long.parseLong(settings.require("camel.server.max-body-size")),
                Integer.parseInt(settings.require("gateway.http.idle-timeout-seconds")),
                Long.parseLong(settings.require("gateway.http.request-read-timeout-ms")),
                settings.flag("gateway.http.h2c"),
                Integer.parseInt(settings.require("gateway.http.http2-max-concurrent-streams")),
                Integer.parseInt(settings.require("gateway.http.accept-backlog")),
                list(settings.optional("gateway.http.cors.allowed-origins")),
                Integer.parseInt(settings.require("gateway.http.cors.max-age-seconds")),
                new LinkedHashSet<>(list(settings.require("gateway.http.event-loop-paths"))));
        int retryAfter = Integer.parseInt(settings.require("gateway.admission.retry-after-seconds"));

        GatewayMetrics metrics = registry.lookupByNameAndType("gatewayMetrics", GatewayMetrics.class);
        InFlightLimits limits = new InFlightLimits(
                Integer.parseInt(settings.require("gateway.admission.max-in-flight")),
                Integer.parseInt(settings.require("gateway.admission.max-in-flight-per-key")),
                metrics.registry());

        GatewayHttpServer httpServer = new GatewayHttpServer(context, server);
        context.addService(httpServer);
        // One virtual thread per request: no pool to size, no queue to wait in.
        ExecutorService requestThreads = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("request-", 0).factory());
        context.addService(Lifecycle.onStop(requestThreads::shutdown));
        registry.bind(PlatformHttpConstants.PLATFORM_HTTP_ENGINE_NAME, PlatformHttpEngine.class,
                new GatewayHttpEngine(httpServer, requestThreads, limits, server.eventLoopPaths(), retryAfter));
        registry.bind("inFlightLimits", limits);
        registry.bind("keyInFlightLimiter", new KeyInFlightLimiter(limits, retryAfter));

        UpstreamPool pool = new UpstreamPool(
                Integer.parseInt(settings.require("gateway.upstream.max-connections")),
                Integer.parseInt(settings.require("gateway.upstream.max-connections-per-provider")),
                setting);
        registry.bind("upstreamPool", pool);
        registry.bind("upstreamConnections", pool.connections());
        HttpClientConfigurer timer = registry.lookupByNameAndType("upstreamTimer", HttpClientConfigurer.class);
        registry.bind("upstreamClient", CompositeHttpConfigurer.combineConfigurers(timer, new UpstreamCalls(limits, retryAfter)));
    }

    private static List<String> list(String value) {
        return value == null ? List.of() : Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
