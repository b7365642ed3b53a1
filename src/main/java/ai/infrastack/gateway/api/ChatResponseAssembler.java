package ai.infrastack.gateway.api;

import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.cost.Cost;
import ai.infrastack.gateway.cost.Usage;
import ai.infrastack.gateway.provider.ChatResult;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Last pipeline step: the OpenAI-shaped response plus the gateway's {@code provider}, {@code usage},
 * {@code cost}, {@code latency} (and, on request, {@code routing}) objects, honouring the client's
 * {@code response.include_*} switches. Costs are rounded here, and only here, to 8 decimals.
 */
public final class ChatResponseAssembler implements Processor {
    private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);

    private final ObjectMapper mapper;
    private final ProviderHealth health;

    public ChatResponseAssembler(ObjectMapper mapper, ProviderHealth health) {
        this.mapper = mapper;
        this.health = health;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        ObjectNode request = exchange.getProperty(ExchangeKeys.CHAT_REQUEST, ObjectNode.class);
        ModelSpec model = exchange.getProperty(ExchangeKeys.MODEL, ModelSpec.class);
        ChatResult result = exchange.getProperty(ExchangeKeys.RESULT, ChatResult.class);
        Cost cost = exchange.getProperty(ExchangeKeys.COST, Cost.class);
        Latency latency = Latency.of(exchange);
        exchange.setProperty(ExchangeKeys.LATENCY, latency);
        health.recordSuccess(model.provider(), latency.upstreamMs());

        ObjectNode options = request.path("response").isObject() ? (ObjectNode) request.get("response") : mapper.createObjectNode();
        ObjectNode out = mapper.createObjectNode();
        out.put("id", result.id());
        out.put("object", "chat.completion");
        out.put("created", result.created());
        out.put("model", model.id());
        out.put("provider", model.provider());
        out.set("choices", result.choices());
        if (options.path("include_usage").asBoolean(true)) {
            out.set("usage", usage(result.usage()));
        }
        if (options.path("include_cost").asBoolean(true) && cost != null) {
            out.set("cost", cost(cost, result.usage()));
        }
        if (options.path("include_latency").asBoolean(true)) {
            out.set("latency", latency.toJson(mapper));
        }
        if (options.path("include_model_info").asBoolean(false)) {
            ObjectNode routing = out.putObject("routing");
            routing.put("selected_provider", model.provider());
            routing.put("selected_model", model.id());
            routing.put("upstream_model", result.upstreamModel());
            routing.put("routing_reason", "requested_model");
            routing.putArray("considered_models").add(model.id());
            routing.put("fallback_used", false);
            routing.put("cache_hit", false);
        }
        ResponseHeaders.reset(exchange, 200);
        exchange.getMessage().setBody(mapper.writeValueAsBytes(out));
    }

    private ObjectNode usage(Usage u) {
        ObjectNode n = mapper.createObjectNode();
        n.put("prompt_tokens", u.promptTokens());
        n.put("completion_tokens", u.completionTokens());
        n.put("total_tokens", u.totalTokens());
        if (u.cacheRead() > 0) {
            n.put("cache_hit_tokens", u.cacheRead());
        }
        if (u.cacheWrite() > 0) {
            n.put("cache_write_tokens", u.cacheWrite());
        }
        // OpenAI's own detail objects, so SDKs read cached and reasoning tokens natively.
        n.putObject("prompt_tokens_details").put("cached_tokens", u.cacheRead());
        n.putObject("completion_tokens_details").put("reasoning_tokens", u.reasoning());
        if (u.estimated()) {
            n.put("estimated", true);
        }
        return n;
    }

    private ObjectNode cost(Cost c, Usage u) {
        ObjectNode n = mapper.createObjectNode();
        BigDecimal total = c.totalCost();
        BigDecimal input = round(c.inputCost());
        BigDecimal output = round(c.outputCost());
        n.put("input_cost", input);
        n.put("output_cost", output);
        // The sum of the rendered parts, so input_cost + output_cost = total_cost on every response.
        n.put("total_cost", input.add(output));
        BigDecimal per1k = u.totalTokens() == 0 ? BigDecimal.ZERO
                : total.multiply(THOUSAND).divide(BigDecimal.valueOf(u.totalTokens()), 12, RoundingMode.HALF_EVEN);
        n.put("cost_per_1k_tokens", round(per1k));
        n.put("currency", "USD");
        if (u.cacheRead() > 0) {
            n.put("cache_savings", round(c.cacheSavings()));
        }
        return n;
    }

    static BigDecimal round(BigDecimal v) {
        return Cost.rendered(v);
    }
}
