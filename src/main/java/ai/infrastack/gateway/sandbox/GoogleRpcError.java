package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Google's error body, a {@code google.rpc.Status}: {@code {"error":{"code","message","status","details":[…]}}},
 * with the canonical status name for each HTTP code and builders for the typed details.
 */
final class GoogleRpcError {

    private static final String TYPE_PREFIX = "type.googleapis.com/google.rpc.";

    private GoogleRpcError() {
    }

    /** The canonical code Google pairs with an HTTP status. */
    static String canonical(int http) {
        switch (http) {
            case 400:
                return "INVALID_ARGUMENT";
            case 401:
                return "UNAUTHENTICATED";
            case 403:
                return "PERMISSION_DENIED";
            case 404:
                return "NOT_FOUND";
            case 409:
                return "ABORTED";
            case 429:
                return "RESOURCE_EXHAUSTED";
            case 499:
                return "CANCELLED";
            case 501:
                return "UNIMPLEMENTED";
            case 503:
                return "UNAVAILABLE";
            case 504:
                return "DEADLINE_EXCEEDED";
            default:
                return http >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
        }
    }

    /** The body; {@code details} may be null (then the field is left out, as Google does). */
    static ObjectNode body(int http, String message, ArrayNode details) {
        ObjectNode body = SandboxJson.object();
        ObjectNode error = body.putObject("error");
        error.put("code", http);
        error.put("message", message);
        error.put("status", canonical(http));
        if (details != null) {
            error.set("details", details);
        }
        return body;
    }

    static ArrayNode details() {
        return SandboxJson.MAPPER.createArrayNode();
    }

    /** Adds a detail of type {@code google.rpc.<type>} and returns it for its fields. */
    static ObjectNode detail(ArrayNode details, String type) {
        return details.addObject().put("@type", TYPE_PREFIX + type);
    }

    static ArrayNode badRequest(String field, String description) {
        ArrayNode details = details();
        ObjectNode violation = detail(details, "BadRequest").putArray("fieldViolations").addObject();
        if (field != null && !field.isEmpty()) {
            violation.put("field", field);
        }
        violation.put("description", description);
        return details;
    }
}
