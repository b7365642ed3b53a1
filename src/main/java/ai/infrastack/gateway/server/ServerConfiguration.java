package ai.infrastack.gateway.server;

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
        Function<String, String> setting = name -> context.getPropertiesComponent().resolveProperty(name)
                .filter(v -> !v.isBlank()).orElse(null);
        Registry registry = context.getRegistry();

        HttpServerSettings settings = new HttpServerSettings(
                required(setting, "camel.server.host"),
                Integer.parseInt(required(setting, "camel.server.port")),
                Long.parseLong(required(setting, "camel.server.max-body-size")),
                Integer.parseInt(required(setting, "gateway.http.idle-timeout-seconds")),
                Long.parseLong(required(setting, "gateway.http.request-read-timeout-ms")),
                Integer.parseInt(required(setting, "gateway.http.http2-max-concurrent-streams")),
                Integer.parseInt(required(setting, "gateway.http.accept-backlog")),
                list(setting.apply("gateway.http.cors.allowed-origins")),
                Integer.parseInt(required(setting, "gateway.http.cors.max-age-seconds")),
                new LinkedHashSet<>(list(required(setting, "gateway.http.event-loop-paths"))));
        int retryAfter = Integer.parseInt(required(setting, "gateway.admission.retry-after-seconds"));

        GatewayMetrics metrics = registry.lookupByNameAndType("gatewayMetrics", GatewayMetrics.class);
        InFlightLimits limits = new InFlightLimits(
                Integer.parseInt(required(setting, "gateway.admission.max-in-flight")),
                Integer.parseInt(required(setting, "gateway.admission.max-in-flight-per-key")),
                metrics.registry());

        GatewayHttpServer server = new GatewayHttpServer(context, settings);
        context.addService(server);
        // One virtual thread per request: no pool to size, no queue to wait in.
        ExecutorService requestThreads = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("request-", 0).factory());
        context.addService(new org.apache.camel.support.service.ServiceSupport() {
            @Override
            protected void doStop() {
                requestThreads.shutdown();
            }
        });
        registry.bind(PlatformHttpConstants.PLATFORM_HTTP_ENGINE_NAME, PlatformHttpEngine.class,
                new GatewayHttpEngine(server, requestThreads, limits, settings.eventLoopPaths(), retryAfter));
        registry.bind("inFlightLimits", limits);
        registry.bind("keyInFlightLimiter", new KeyInFlightLimiter(limits, retryAfter));

        UpstreamPool pool = new UpstreamPool(
                Integer.parseInt(required(setting, "gateway.upstream.max-connections")),
                Integer.parseInt(required(setting, "gateway.upstream.max-connections-per-provider")),
                setting);
        registry.bind("upstreamPool", pool);
        registry.bind("upstreamConnections", pool.connections());
        HttpClientConfigurer timer = registry.lookupByNameAndType("upstreamTimer", HttpClientConfigurer.class);
        registry.bind("upstreamClient", CompositeHttpConfigurer.combineConfigurers(timer, new UpstreamCalls(limits, retryAfter)));
    }

    private static String required(Function<String, String> setting, String name) {
        String value = setting.apply(name);
        if (value == null) {
            throw new IllegalStateException("Missing setting " + name + " (its default is in application.properties)");
        }
        return value.trim();
    }

    private static List<String> list(String value) {
        return value == null ? List.of() : Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
