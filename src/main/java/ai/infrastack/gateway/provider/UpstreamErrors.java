package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * One mapping from an upstream HTTP status to the gateway's error, shared by every wire format so
 * that all providers fail the same way. The upstream's status is kept; its message is summarised
 * for the client: the vendor's own reason where it explains a refusal of the request (400, 404,
 * 413, 422, 429), a generic sentence where it is about the gateway's credentials (401, 403) or a
 * vendor failure (5xx) — never a credential, a host or raw HTML. The full text, credentials
 * masked, goes to the log.
 */
public final class UpstreamErrors {
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamErrors.class);
    /** Things that look like credentials: sk-…/key-… tokens, Bearer values, long opaque strings. */
    private static final Pattern CREDENTIAL = Pattern.compile(
            "(?i)(bearer\\s+\\S+|\\b(sk|pk|rk|key|api[_-]?key|AIza)[-_A-Za-z0-9]{6,}|\\b[A-Za-z0-9_\\-]{32,}\\b)");
    private static final Pattern URL = Pattern.compile("(?i)\\b(https?|wss?)://\\S+");
    /** IP addresses, localhost, host:port, and domain names under the usual suffixes. */
    private static final Pattern HOST_PORT = Pattern.compile("(?i)\\b\\d{1,3}(\\.\\d{1,3}){3}(:\\d+)?\\b|\\blocalhost(:\\d+)?\\b"
            + "|\\b[a-z0-9-]+(\\.[a-z0-9-]+)*:\\d{2,5}\\b"
            + "|\\b([a-z0-9-]+\\.)+(com|net|org|io|ai|dev|cloud|internal|local|co|us|eu)\\b");
    private static final Pattern HTML = Pattern.compile("(?is)<\\s*(!doctype|html|head|body|title|h1|div|p|center)\\b");
    private static final int MAX_MESSAGE = 500;

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
        return map(status, upstreamStatus, message, code, null, provider, headers);
    }

    /**
     * @param param the request field the vendor named, in the client's terms ({@code messages[3].refusal}), or null
     */
    public static GatewayException map(int status, int upstreamStatus, String message, String code, String param,
                                       String provider, Map<String, String> headers) {
        String text = forClient(status, upstreamStatus, message, provider);
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
        return b.param(param).provider(provider).upstreamStatus(upstreamStatus).build();
    }

    /** What the client is told of an upstream error; the log gets the vendor's text, credentials masked. */
    static String forClient(int status, int upstreamStatus, String message, String provider) {
        String masked = message == null ? "" : CREDENTIAL.matcher(message).replaceAll("[redacted]");
        if (!masked.isBlank()) {
            LOG.info("Provider {} answered HTTP {}: {}", provider, upstreamStatus,
                    masked.length() > 2000 ? masked.substring(0, 2000) + "…" : masked);
        }
        if (status == 401 || status == 403) {
            return "The provider refused the gateway's credentials for " + provider + " (HTTP " + upstreamStatus
                    + "); the gateway's operator must check its provider key";
        }
        if (status == 503 || status == 529) {
            return "The provider " + provider + " is overloaded (HTTP " + upstreamStatus + "); retry shortly";
        }
        if (status == 504 || status == 408) {
            return "The provider " + provider + " did not answer in time (HTTP " + upstreamStatus + ")";
        }
        if (status >= 500 || status == 402) {
            return "The provider " + provider + " failed to answer (HTTP " + upstreamStatus + ")";
        }
        if (masked.isBlank() || HTML.matcher(masked).find()) {
            return "The provider " + provider + " refused the request (HTTP " + upstreamStatus + ")";
        }
        String text = HOST_PORT.matcher(URL.matcher(masked).replaceAll("[url]")).replaceAll("[host]");
        return text.length() > MAX_MESSAGE ? text.substring(0, MAX_MESSAGE) + "…" : text;
    }
}
