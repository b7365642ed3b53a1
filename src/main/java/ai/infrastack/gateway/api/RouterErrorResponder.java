package ai.infrastack.gateway.api;

import ai.infrastack.gateway.core.ErrorType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.StartupListener;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * Answers what never reaches a route — an unknown path (404), a wrong method (405), a body the
 * HTTP server refuses as too large (413) — in the spec's error format with a request id, instead of
 * Vert.x's HTML or empty pages. Installed on the HTTP router once the server has started.
 */
public final class RouterErrorResponder implements StartupListener {
    private final ObjectMapper mapper;
    private final int port;

    public RouterErrorResponder(ObjectMapper mapper, int port) {
        this.mapper = mapper;
        this.port = port;
    }

    @Override
    public void onCamelContextStarted(CamelContext context, boolean alreadyStarted) {
        // the router exists only once the HTTP server runs: see onCamelContextFullyStarted
    }

    @Override
    public void onCamelContextFullyStarted(CamelContext context, boolean alreadyStarted) {
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(context, VertxPlatformHttpRouter.getRouterNameFromPort(port));
        if (router == null) {
            return;
        }
        // Last of all routes: whatever no route took. The routes it sorts after include ones
        // added later by a live reload, since it has the highest order.
        router.route().order(Integer.MAX_VALUE).handler(ctx -> {
            String path = ctx.request().path();
            if (servedPath(context, path)) {
                respond(ctx, 405, ErrorType.INVALID_REQUEST, "method_not_allowed",
                        "Method " + ctx.request().method() + " is not allowed on " + path);
            } else {
                respond(ctx, 404, ErrorType.NOT_FOUND, "not_found", "No endpoint " + ctx.request().method() + " " + path);
            }
        });
        router.errorHandler(413, ctx -> respond(ctx, 413, ErrorType.INVALID_REQUEST, "request_too_large",
                "Request body is too large"));
    }

    /** Whether some route serves this path (with another method). Only asked on the error path. */
    private static boolean servedPath(CamelContext context, String path) {
        for (Route route : context.getRoutes()) {
            if (route.getEndpoint() instanceof PlatformHttpEndpoint http) {
                String pattern = http.getPath().replaceAll("\\{[^/}]+}", "[^/]+");
                if (path.matches(pattern)) {
                    return true;
                }
            }
        }
        return false;
    }

    private void respond(RoutingContext ctx, int status, ErrorType type, String code, String message) {
        if (ctx.response().ended()) {
            return;
        }
        String requestId = RequestIdAssigner.newId();
        ObjectNode body = mapper.createObjectNode();
        ObjectNode err = body.putObject("error");
        err.put("message", message);
        err.put("type", type.wireName());
        err.putNull("param");
        err.put("code", code);
        err.put("request_id", requestId);
        ctx.response().setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .putHeader("X-Request-Id", requestId)
                .end(body.toString());
    }
}
