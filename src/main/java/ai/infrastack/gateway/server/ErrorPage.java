package ai.infrastack.gateway.server;

import ai.infrastack.gateway.api.RequestIdAssigner;
import ai.infrastack.gateway.core.ErrorType;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;

/**
 * An error in the spec's format written straight to a Vert.x response, for what the HTTP server
 * answers itself before (or instead of) a route: overload, malformed framing, a read timeout.
 */
final class ErrorPage {
    private ErrorPage() {}

    static Future<Void> send(HttpServerResponse response, int status, ErrorType type, String code, String message) {
        String requestId = RequestIdAssigner.newId();
        String body = "{\"error\":{\"message\":" + quote(message) + ",\"type\":\"" + type.wireName()
                + "\",\"param\":null,\"code\":\"" + code + "\",\"request_id\":\"" + requestId + "\"}}";
        return response.setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .putHeader("X-Request-Id", requestId)
                .end(body);
    }

    /** A JSON string literal; the messages are ours, but a path or method may be echoed in them. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
