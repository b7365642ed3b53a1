package ai.infrastack.gateway.server;

import ai.infrastack.gateway.core.ErrorType;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.impl.HttpServerRequestInternal;
import io.vertx.core.impl.VertxInternal;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.CorsHandler;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's HTTP server: Vert.x, as platform-http's own, but with the settings a public endpoint
 * needs and platform-http does not expose — idle and request-read timeouts, RFC 9112 framing
 * ({@link GuardedHttpServer}), HTTP/2 without TLS (h2c, so one connection carries many calls),
 * CORS when configured — and the arrival time of each request stamped before anything else runs.
 * It registers its router under the name platform-http's consumers look up, so the YAML routes'
 * {@code platform-http:} endpoints are served here.
 */
public final class GatewayHttpServer extends ServiceSupport {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayHttpServer.class);
    /** RoutingContext key of the request's arrival, System.nanoTime(). */
    static final String ARRIVED_NANOS = "gatewayArrivedNanos";
    /** RoutingContext key of the request's arrival, wall clock. */
    static final String ARRIVED_AT = "gatewayArrivedAt";

    private final CamelContext camelContext;
    private final HttpServerSettings settings;
    private Vertx vertx;
    private HttpServer server;

    public GatewayHttpServer(CamelContext camelContext, HttpServerSettings settings) {
        this.camelContext = camelContext;
        this.settings = settings;
    }

    @Override
    protected void doStart() throws Exception {
        vertx = Vertx.vertx(new VertxOptions()
                // Only a blocking call that slipped onto it would run here; requests never do.
                .setWorkerPoolSize(4)
                .setMaxEventLoopExecuteTime(2).setMaxEventLoopExecuteTimeUnit(TimeUnit.SECONDS));
        Router router = Router.router(vertx);
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            ctx.put(ARRIVED_NANOS, System.nanoTime());
            ctx.put(ARRIVED_AT, java.time.Instant.now());
            ctx.next();
        });
        if (!settings.corsOrigins().isEmpty()) {
            router.route().order(Integer.MIN_VALUE + 1).handler(cors(settings));
        }
        BodyHandler body = BodyHandler.create(false).setBodyLimit(settings.maxBodyBytes());
        String routerName = routerName();
        camelContext.getRegistry().bind(routerName, new VertxPlatformHttpRouter(null, vertx, router, routerName,
                VertxPlatformHttpRouter.SERVER_TYPE_SERVER) {
            @Override
            public Handler<RoutingContext> bodyHandler() {
                return ctx -> {
                    ctx.request().resume();
                    body.handle(ctx);
                };
            }
        });

        HttpServerOptions options = new HttpServerOptions()
                .setHost(settings.host())
                .setPort(settings.port())
                .setIdleTimeout(settings.idleTimeoutSeconds()).setIdleTimeoutUnit(TimeUnit.SECONDS)
                .setHttp2ClearTextEnabled(settings.h2c())
                .setInitialSettings(new Http2Settings().setMaxConcurrentStreams(settings.http2MaxStreams()))
                .setAcceptBacklog(settings.acceptBacklog())
                .setCompressionSupported(false);
        server = new GuardedHttpServer((VertxInternal) vertx, options, settings.requestReadTimeoutMs())
                .invalidRequestHandler(GatewayHttpServer::refuse)
                .requestHandler(router);
        server.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        LOG.info("HTTP server listening on {}:{} ({})", settings.host(), server.actualPort(),
                settings.h2c() ? "HTTP/1.1 and h2c" : "HTTP/1.1");
    }

    @Override
    protected void doStop() throws Exception {
        if (server != null) {
            server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            server = null;
        }
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            vertx = null;
        }
    }

    /** The name platform-http's consumers find the router under: by the configured port. */
    String routerName() {
        return VertxPlatformHttpRouter.getRouterNameFromPort(settings.port());
    }

    /** The port actually bound (the configured one unless that was 0). */
    public int port() {
        return server == null ? settings.port() : server.actualPort();
    }

    /**
     * A request the decoder could not accept: too long a line or header (Vert.x's 414/431), or
     * framing that breaks RFC 9112 (400). Either way the connection is closed after the answer.
     */
    private static void refuse(HttpServerRequest request) {
        DecoderResult result = ((HttpServerRequestInternal) request).decoderResult();
        Throwable cause = result.cause();
        int status = 400;
        String message = cause == null || cause.getMessage() == null ? "Malformed HTTP request" : cause.getMessage();
        if (cause instanceof TooLongFrameException) {
            status = message.contains("URI") || message.contains("line") ? 414 : 431;
            message = status == 414 ? "Request line too long" : "Request headers too large";
        }
        request.response().putHeader("Connection", "close");
        ErrorPage.send(request.response(), status, ErrorType.INVALID_REQUEST, "malformed_request", message)
                .onComplete(done -> request.connection().close());
    }

    private static CorsHandler cors(HttpServerSettings settings) {
        CorsHandler cors = CorsHandler.create();
        if (settings.corsOrigins().contains("*")) {
            cors.addOriginWithRegex(".*");
        } else {
            cors.addOrigins(settings.corsOrigins());
        }
        return cors.allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE, HttpMethod.OPTIONS))
                .allowedHeaders(Set.of("Authorization", "Content-Type", "X-Request-Id", "OpenAI-Organization"))
                .exposedHeaders(Set.of("X-Request-Id", "X-Gateway-Dropped-Params", "Retry-After"))
                .maxAgeSeconds(settings.corsMaxAgeSeconds());
    }
}
