package ai.infrastack.gateway.server;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ClientLink;
import ai.infrastack.gateway.core.ExchangeKeys;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpConsumer;
import org.apache.camel.spi.HeaderFilterStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * platform-http's Vert.x consumer, carrying each exchange on a thread of its own instead of the
 * Vert.x worker pool: a virtual thread per request, so a call that waits a minute on its upstream
 * holds only a few kilobytes of heap, and no request waits for a thread to free up. Routes whose
 * steps never block (health, metrics) run on the event loop itself, so they answer at once
 * whatever the chat traffic does. Above the in-flight ceiling a request is refused on the event
 * loop with 503 before any thread or exchange exists. The response is written straight from the
 * body — no InputStream pump, no second task — and a client that disconnects cancels the
 * request's upstream call ({@link ClientLink}).
 */
final class VirtualThreadConsumer extends VertxPlatformHttpConsumer {
    private static final Logger LOG = LoggerFactory.getLogger(VirtualThreadConsumer.class);

    private final Executor requestThreads;
    private final InFlightLimits limits;
    private final boolean onEventLoop;
    private final int retryAfterSeconds;

    VirtualThreadConsumer(PlatformHttpEndpoint endpoint, Processor processor, String routerName, Executor requestThreads,
                          InFlightLimits limits, boolean onEventLoop, int retryAfterSeconds) {
        super(endpoint, processor, List.of(), routerName);
        this.requestThreads = requestThreads;
        this.limits = limits;
        this.onEventLoop = onEventLoop;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    @Override
    protected void handleRequest(RoutingContext ctx) {
        if (isSuspended()) {
            ctx.response().setStatusCode(503).end();
            return;
        }
        if (!onEventLoop && !limits.enter()) {
            ctx.response().putHeader("Retry-After", String.valueOf(retryAfterSeconds));
            ErrorPage.send(ctx.response(), 503, ErrorType.SERVER, "gateway_overloaded",
                    "The gateway is at its limit of calls in flight; retry shortly");
            return;
        }
        Exchange exchange = createExchange(false);
        exchange.setPattern(ExchangePattern.InOut);
        Long arrived = ctx.get(GatewayHttpServer.ARRIVED_NANOS);
        if (arrived != null) {
            exchange.setProperty(ExchangeKeys.RECEIVED_NANOS, arrived);
            exchange.setProperty(ExchangeKeys.RECEIVED_AT, ctx.<Instant>get(GatewayHttpServer.ARRIVED_AT));
        }
        ClientLink link = new ClientLink();
        if (!onEventLoop) {
            ctx.response().closeHandler(v -> link.clientGone());
        }
        processHttpRequest(exchange, ctx).onComplete(read -> {
            if (read.failed()) {
                fail(exchange, ctx, read.cause());
                return;
            }
            if (onEventLoop) {
                if (process(exchange, ctx, null)) {
                    respond(exchange, ctx);
                }
            } else {
                Context eventLoop = Vertx.currentContext();
                requestThreads.execute(() -> {
                    if (process(exchange, ctx, link)) {
                        // Back on the connection's event loop, where Vert.x expects its response
                        // to be written: a task on the loop, not a worker hop.
                        eventLoop.runOnContext(v -> respond(exchange, ctx));
                    }
                });
            }
        });
    }

    /** Runs the route; false when it failed in a way already answered. */
    private boolean process(Exchange exchange, RoutingContext ctx, ClientLink link) {
        ClientLink.bind(link);
        try {
            createUoW(exchange);
            getProcessor().process(exchange);
            return true;
        } catch (Throwable t) {
            fail(exchange, ctx, t);
            return false;
        } finally {
            ClientLink.bind(null);
        }
    }

    private void respond(Exchange exchange, RoutingContext ctx) {
        try {
            write(ctx.response(), exchange);
            done(exchange);
        } catch (Throwable t) {
            fail(exchange, ctx, t);
        }
    }

    private void fail(Exchange exchange, RoutingContext ctx, Throwable failure) {
        getExceptionHandler().handleException("Failed handling platform-http endpoint " + getEndpoint().getPath(), failure);
        if (!ctx.response().ended()) {
            ErrorPage.send(ctx.response(), 500, ErrorType.SERVER, "server_error", "The gateway failed to handle this request");
        }
        done(exchange);
    }

    private void done(Exchange exchange) {
        try {
            doneUoW(exchange);
            releaseExchange(exchange, false);
        } finally {
            if (!onEventLoop) {
                limits.exit();
            }
        }
    }

    /** The exchange's status, headers and body as the HTTP response, unless a step already answered. */
    private void write(HttpServerResponse response, Exchange exchange) {
        if (response.ended() || response.closed()) {
            return;
        }
        Message message = exchange.getMessage();
        if (exchange.getException() != null) {
            // The routes render every error themselves; one that escaped is a gateway fault.
            LOG.error("Unhandled failure on {}", getEndpoint().getPath(), exchange.getException());
            ErrorPage.send(response, 500, ErrorType.SERVER, "server_error", "The gateway failed to handle this request");
            return;
        }
        response.setStatusCode(message.getHeader(Exchange.HTTP_RESPONSE_CODE, 200, Integer.class));
        HeaderFilterStrategy filter = getEndpoint().getHeaderFilterStrategy();
        for (Map.Entry<String, Object> header : message.getHeaders().entrySet()) {
            Object value = header.getValue();
            if (value == null || header.getKey().startsWith("Camel")
                    || (filter != null && filter.applyFilterToCamelHeaders(header.getKey(), value, exchange))) {
                continue;
            }
            response.putHeader(header.getKey(), value.toString());
        }
        // platform-http's header filter keeps Content-Type out of the copied headers on purpose.
        String contentType = message.getHeader(Exchange.CONTENT_TYPE, String.class);
        if (contentType != null) {
            response.putHeader("Content-Type", contentType);
        }
        Object body = message.getBody();
        if (body == null) {
            response.end();
        } else if (body instanceof byte[] bytes) {
            response.end(Buffer.buffer(bytes));
        } else if (body instanceof Buffer buffer) {
            response.end(buffer);
        } else if (body instanceof String text) {
            response.end(text);
        } else {
            // Not produced by our steps; converted whole rather than pumped through a worker.
            byte[] bytes = exchange.getContext().getTypeConverter().tryConvertTo(byte[].class, exchange, body);
            if (bytes == null && body instanceof InputStream in) {
                try (in) {
                    bytes = in.readAllBytes();
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            }
            response.end(bytes == null ? Buffer.buffer() : Buffer.buffer(bytes));
        }
    }
}
