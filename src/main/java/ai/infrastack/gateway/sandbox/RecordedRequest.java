package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One request exactly as the sandbox received it, so tests can assert what the gateway sent upstream.
 *
 * @param format  the vendor the path belongs to ("openai", "anthropic", …), or "unknown"
 * @param method  HTTP method
 * @param path    path without the query string, e.g. {@code /anthropic/v1/messages}
 * @param query   raw query string, or null
 * @param headers every header; lookups are case-insensitive
 * @param body    raw body text (UTF-8)
 * @param seen    how many times this vendor has received this exact body, this one included (1 = first)
 */
public record RecordedRequest(String format, String method, String path, String query,
                              Map<String, List<String>> headers, String body, Instant receivedAt, int seen) {

    public RecordedRequest(String format, String method, String path, String query,
                           Map<String, List<String>> headers, String body, Instant receivedAt) {
        this(format, method, path, query, headers, body, receivedAt, 1);
    }

    public RecordedRequest {
        TreeMap<String, List<String>> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.forEach((name, values) -> copy.put(name, List.copyOf(values)));
        headers = Collections.unmodifiableMap(copy);
        body = body == null ? "" : body;
    }

    /** First value of a header (case-insensitive name), or null. */
    public String header(String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** The body as a JSON tree, or null if it is not JSON. */
    public JsonNode bodyJson() {
        return SandboxJson.readOrNull(body);
    }
}
