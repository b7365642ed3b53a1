package ai.infrastack.gateway.api;

import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.Latency;
import ai.infrastack.gateway.health.ProviderHealth;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.Cost;
import ai.infrastack.gateway.core.ChatResult;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Last pipeline step: the OpenAI-shaped response plus the gateway's {@code provider}, {@code usage},
 * {@code cost}, {@code latency} (and, on request, {@code routing}) objects, honouring the client's
 * {@code response.include_*} switches.
 */
public final class ChatResponseAssembler implements Processor {
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
            out.set("usage", UsageJson.usage(mapper, result.usage()));
        }
        if (options.path("include_cost").asBoolean(true) && cost != null) {
            out.set("cost", UsageJson.cost(mapper, cost, result.usage()));
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

}
