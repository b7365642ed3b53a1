package ai.infrastack.gateway.analytics;

import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.Attempts;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.routing.ModelResolver;
import ai.infrastack.gateway.routing.RoutingDecision;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.Latency;
import ai.infrastack.gateway.auth.Caller;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.Cost;
import ai.infrastack.gateway.core.Usage;
import ai.infrastack.gateway.core.Completion;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.time.Instant;

/**
 * Wire-tap step: turns a finished request — success or error — into one request-log row and hands
 * it to the {@link RequestLogWriter}, which never blocks.
 */
public final class UsageRecorder implements Processor {
    private static final ObjectMapper ATTEMPTS_JSON = Json.plainMapper();
    /** Exchange property holding the row, so later wire-tap steps reuse it. */
    public static final String RECORD = "gatewayRequestRecord";
    /** Exchange property set (true) on a request refused for its key: the later steps skip it. */
    public static final String UNAUTHENTICATED = "gatewayUnauthenticated";
    private final RequestLogWriter writer;

    private final java.util.concurrent.atomic.LongAdder unauthenticated = new java.util.concurrent.atomic.LongAdder();

    public UsageRecorder(RequestLogWriter writer) {
        this.writer = writer;
    }

    /** Requests refused for a missing or unknown key: counted, never written row by row. */
    public long unauthenticated() {
        return unauthenticated.sum();
    }

    @Override
    public void process(Exchange exchange) {
        GatewayException error = exchange.getProperty(ExchangeKeys.ERROR, GatewayException.class);
        if (error != null && error.type() == ErrorType.AUTHENTICATION && exchange.getProperty(ExchangeKeys.CALLER) == null) {
            // Anyone can send these: a row (and an access-log line) each would let them grow the table.
            unauthenticated.increment();
            exchange.setProperty(UNAUTHENTICATED, true);
            return;
        }
        RequestRecord record = record(exchange);
        exchange.setProperty(RECORD, record);
        writer.offer(record);
    }

    public static RequestRecord record(Exchange exchange) {
        Caller caller = exchange.getProperty(ExchangeKeys.CALLER, Caller.class);
        ObjectNode request = exchange.getProperty(ExchangeKeys.CHAT_REQUEST, ObjectNode.class);
        ModelSpec model = exchange.getProperty(ExchangeKeys.MODEL, ModelSpec.class);
        Completion result = exchange.getProperty(ExchangeKeys.COMPLETION, Completion.class);
        Cost cost = exchange.getProperty(ExchangeKeys.COST, Cost.class);
        GatewayException error = exchange.getProperty(ExchangeKeys.ERROR, GatewayException.class);
        Latency latency = exchange.getProperty(ExchangeKeys.LATENCY, Latency.class);
        if (latency == null) {
            latency = Latency.of(exchange);
        }
        JsonNode budget = request == null ? null : request.path("budget");
        Usage usage = result == null ? Usage.NONE : result.usage();
        boolean upstreamCalled = exchange.getProperty(ExchangeKeys.UPSTREAM_SENT_NANOS) != null;
        RoutingDecision decision = exchange.getProperty(ExchangeKeys.ROUTING, RoutingDecision.class);
        return new RequestRecord(
                exchange.getProperty(ExchangeKeys.REQUEST_ID, String.class),
                exchange.getProperty(ExchangeKeys.RECEIVED_AT, Instant.now(), Instant.class),
                caller == null ? null : caller.keyId(),
                exchange.getProperty(ExchangeKeys.ATTRIBUTED_USER_ID,
                        attribution(caller, caller == null ? null : caller.userId(), budget, "user_id"), String.class),
                exchange.getProperty(ExchangeKeys.ATTRIBUTED_PROJECT_ID,
                        attribution(caller, caller == null ? null : caller.projectId(), budget, "project_id"), String.class),
                text(budget, "tracking_id"),
                request == null ? null : text(request, "model"),
                model == null ? null : model.id(),
                model == null ? null : model.provider(),
                error != null ? error.status() : exchange.getProperty(ExchangeKeys.STATUS, 200, Integer.class),
                error == null ? null : error.type().wireName(),
                usage.promptTokens(),
                usage.completionTokens(),
                usage.cacheRead(),
                cost == null ? null : Cost.rendered(cost.inputCost()),
                cost == null ? null : Cost.rendered(cost.outputCost()),
                cost == null ? null : Cost.rendered(cost.inputCost()).add(Cost.rendered(cost.outputCost())),
                latency.totalMs(),
                upstreamCalled ? latency.ttfbMs() : null,
                exchange.getProperty(ExchangeKeys.CACHE_HIT, false, Boolean.class),
                decision != null && decision.fallbackUsed(),
                strategy(request, decision),
                exchange.getProperty(ExchangeKeys.STREAMING, false, Boolean.class),
                error == null ? null : limit(error.getMessage(), 500),
                attemptsJson(exchange.getProperty(ExchangeKeys.ATTEMPTS, Attempts.class)));
    }

    /** The strategy that chose the model: the request's, or the router's default for model auto; null for a named model. */
    private static String strategy(ObjectNode request, RoutingDecision decision) {
        if (request == null) {
            return null;
        }
        boolean ranked = request.path("routing").has("strategy") || ModelResolver.AUTO.equalsIgnoreCase(request.path("model").asText());
        return decision != null && ranked ? decision.strategy() : text(request.path("routing"), "strategy");
    }

    /** The attempts as the request log keeps them: a JSON array, cut to the column's 4000 characters. */
    static String attemptsJson(Attempts attempts) {
        if (attempts == null || attempts.size() == 0) {
            return null;
        }
        ArrayNode out = ATTEMPTS_JSON.createArrayNode();
        for (Attempts.Attempt a : attempts.all()) {
            out.addObject().put("attempt", a.number()).put("provider", a.provider()).put("model", a.model())
                    .put("deployment", a.deployment()).put("outcome", a.outcome()).put("status", a.status()).put("ms", a.durationMs());
        }
        String text = out.toString();
        while (text.length() > 4000 && out.size() > 1) {
            out.remove(out.size() - 1);
            text = out.toString();
        }
        return text.length() > 4000 ? null : text;
    }

    /**
     * Usage belongs to the key's user and project. Requests that passed the budget step carry its
     * attribution (a key may name its own end users); before it, only the master key may attribute.
     */
    private static String attribution(Caller caller, String fromKey, JsonNode budget, String field) {
        if (fromKey != null) {
            return fromKey;
        }
        return caller != null && caller.admin() ? text(budget, field) : null;
    }

    private static String text(JsonNode node, String field) {
        if (node == null || !node.hasNonNull(field) || !node.get(field).isTextual()) {
            return null;
        }
        String v = node.get(field).asText();
        return v.length() > 200 ? v.substring(0, 200) : v;
    }

    private static String limit(String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max);
    }
}
