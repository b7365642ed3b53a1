package ai.infrastack.gateway.batch;

import ai.infrastack.gateway.core.Cost;
import ai.infrastack.gateway.core.ExchangeKeys;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;

/**
 * Runs one batch item through the chat pipeline (direct:chat), exactly as an HTTP call runs: the
 * submitting key's authentication (by key id, see auth.ApiKeyAuthenticator), limits, budgets,
 * routing, cost and analytics. Answers with what the pipeline answered.
 */
final class BatchItemCall {
    private final ProducerTemplate template;

    BatchItemCall(ProducerTemplate template) {
        this.template = template;
    }

    /** What the pipeline answered: status, body (completion or error JSON), cost (null unless answered), request id. */
    record Outcome(int status, String body, BigDecimal cost, String requestId, long retryAfterSeconds) {

        boolean succeeded() {
            return status == 200;
        }

        /** Waiting helps: the caller is rate-limited, or this instance or the key store is briefly overloaded. */
        boolean worthRetrying() {
            return status == 429 || status == 503 && (body.contains("\"gateway_overloaded\"") || body.contains("\"key_store_unavailable\""));
        }
    }

    /** Runs the item under {@code requestId}, noted with the item before the call (see BatchStore#startCall). */
    Outcome run(String keyId, String requestJson, String requestId) {
        Exchange done = template.send("direct:chat", exchange -> {
            exchange.setProperty(ExchangeKeys.SUBMITTED_BY_KEY_ID, keyId);
            exchange.setProperty(ExchangeKeys.ASSIGNED_REQUEST_ID, requestId);
            exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
            exchange.getMessage().setBody(requestJson.getBytes(StandardCharsets.UTF_8));
        });
        if (done.getException() != null) {
            // the pipeline renders every failure itself; this is a failure of the rendering
            return new Outcome(500, "{\"error\":{\"message\":\"The gateway failed to handle this request\","
                    + "\"type\":\"server_error\",\"param\":null,\"code\":null}}", null, requestId, 0);
        }
        int status = done.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 200, Integer.class);
        byte[] body = done.getMessage().getBody(byte[].class);
        Cost cost = done.getProperty(ExchangeKeys.COST, Cost.class);
        // As the request log stores it: the sum of the rendered parts, so item costs add up to the log's.
        BigDecimal charged = status != 200 || cost == null ? null
                : Cost.rendered(cost.inputCost()).add(Cost.rendered(cost.outputCost()));
        return new Outcome(status, body == null ? "" : new String(body, StandardCharsets.UTF_8), charged, requestId,
                retryAfter(done.getMessage().getHeader("Retry-After", String.class)));
    }

    private static long retryAfter(String header) {
        if (header == null) {
            return 1;
        }
        try {
            return Math.max(0, Long.parseLong(header.trim()));
        } catch (NumberFormatException e) {
            return 1;
        }
    }
}
