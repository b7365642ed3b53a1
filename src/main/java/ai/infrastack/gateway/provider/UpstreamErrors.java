package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;

import java.util.Map;

/**
 * One mapping from an upstream HTTP status to the gateway's error, shared by every wire format so
 * that all providers fail the same way. The upstream's message and status are preserved.
 */
public final class UpstreamErrors {
    private UpstreamErrors() {}

    public static GatewayException map(int status, String message, String code, String provider, Map<String, String> headers) {
        return map(status, status, message, code, provider, headers);
    }

    /**
     * @param status         the status that decides the mapping (a vendor's odd status already read
     *                       as the standard one it means, e.g. Gemini's 400 for a bad key as 401)
     * @param upstreamStatus what the vendor actually answered, reported to the client as is
     */
    public static GatewayException map(int status, int upstreamStatus, String message, String code, String provider,
                                       Map<String, String> headers) {
        String text = (message == null || message.isBlank()) ? "The upstream provider answered HTTP " + upstreamStatus : message;
        GatewayException.Builder b;
        if (status == 429) {
            b = GatewayException.of(ErrorType.RATE_LIMIT, text).status(429).code(code == null ? "upstream_rate_limited" : code);
            String retryAfter = headers.get("retry-after");
            if (retryAfter != null) {
                b.headers(Map.of("Retry-After", retryAfter));
            }
        } else if (status == 413) {
            b = GatewayException.of(ErrorType.INVALID_REQUEST, text).status(413).code(code == null ? "request_too_large" : code);
        } else if (status == 400 || status == 422) {
            // The request reached the vendor and was refused for its content (e.g. context too long).
            b = GatewayException.of(ErrorType.INVALID_REQUEST, text).status(400).code(code);
        } else if (status == 408 || status == 504) {
            b = GatewayException.of(ErrorType.PROVIDER, text).status(504).code(code == null ? "upstream_timeout" : code);
        } else if (status == 503 || status == 529) {
            b = GatewayException.of(ErrorType.PROVIDER, text).status(503).code(code == null ? "upstream_overloaded" : code);
        } else {
            // 401/402/403/404 mean the gateway's own provider credentials or catalog are wrong;
            // 5xx means the vendor failed. Neither is the client's mistake.
            b = GatewayException.of(ErrorType.PROVIDER, text).status(502).code(code == null ? "upstream_error" : code);
        }
        return b.provider(provider).upstreamStatus(upstreamStatus).build();
    }
}
