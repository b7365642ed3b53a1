package ai.infrastack.gateway.api;

import ai.infrastack.gateway.core.GatewayException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The spec's error object, the same in a JSON error response and in a stream's error event. */
public final class ErrorBody {
    private ErrorBody() {}

    /** {@code {"error": {message, type, param, code, provider, upstream_status, request_id}}}. */
    public static ObjectNode of(ObjectMapper mapper, GatewayException e, String requestId) {
        ObjectNode root = mapper.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type().wireName());
        err.put("param", e.param());
        err.put("code", e.code());
        if (e.provider() != null) {
            err.put("provider", e.provider());
        }
        if (e.upstreamStatus() != null) {
            err.put("upstream_status", e.upstreamStatus());
        }
        err.put("request_id", requestId);
        return root;
    }
}
