package ai.infrastack.gateway.routing;

import ai.infrastack.gateway.auth.Caller;
import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Pipeline step: decides which model answers and what stands behind it (a {@link RoutingDecision}),
 * and sets the {@code provider} property the content-based router dispatches on.
 * <ul>
 *   <li>A named model is looked up in the catalog and refused here when it cannot do what the
 *   request needs (images, tools) — before any upstream call.</li>
 *   <li>{@code model: "auto"} picks among every model the caller may use that can answer: the
 *   capability and context-window filters, the router's blocked providers, providers whose circuit
 *   breaker is open, and {@code routing.max_cost_per_1k_tokens}, {@code max_latency_ms} and the
 *   router's {@code max_cost_per_request}; then ranked by {@code routing.strategy} (default: the
 *   router's default_strategy), see {@link ModelRanking}.</li>
 * </ul>
 * Behind the first come {@code routing.fallback_models}, then — for auto or a request naming a
 * strategy — the rest of the ranking; the failover step walks them when a provider fails.
 */
public final class ModelResolver implements Processor {
    public static final String AUTO = "auto";

    private final ModelCatalog catalog;
    private final RouterSettings settings;
    private final ModelRanking ranking;
    private final Predicate<String> breakerAdmits;

    public ModelResolver(ModelCatalog catalog, RouterSettings settings, ModelRanking ranking, Predicate<String> breakerAdmits) {
        this.catalog = catalog;
        this.settings = settings;
        this.ranking = ranking;
        this.breakerAdmits = breakerAdmits;
    }

    @Override
    public void process(Exchange exchange) {
        ObjectNode request = exchange.getProperty(ExchangeKeys.CHAT_REQUEST, ObjectNode.class);
        Caller caller = exchange.getProperty(ExchangeKeys.CALLER, Caller.class);
        RouterConfig config = settings.current();
        JsonNode routing = request.path("routing");
        String name = request.path("model").asText();
        RequestNeeds needs = RequestNeeds.of(request);
        boolean auto = AUTO.equalsIgnoreCase(name);
        String strategy = routing.hasNonNull("strategy") ? routing.get("strategy").asText().toLowerCase(Locale.ROOT) : config.defaultStrategy();
        List<String> preferred = preferredProviders(routing, config);

        List<ModelSpec> ranked = auto || routing.hasNonNull("strategy")
                ? ranking.rank(eligible(needs, caller, config, routing), strategy, needs, preferred, config.enableCostOptimization())
                : List.of();
        ModelSpec first;
        String reason;
        if (auto) {
            if (ranked.isEmpty()) {
                throw GatewayException.of(ErrorType.NOT_FOUND, "No model the caller may use fits this request (capabilities, "
                        + "context window, routing limits and blocked providers applied)").param("model").code("no_model_fits").build();
            }
            first = ranked.get(0);
            reason = "model auto, strategy " + strategy + ": first of " + ranked.size() + " eligible models";
        } else {
            first = named(name, caller, "model");
            // the context window is left to the vendor for a named model: its count is exact, ours an estimate
            String unmet = needs.unmetBy(first);
            if (unmet != null && !unmet.startsWith("context")) {
                throw refusal(first, unmet);
            }
            reason = "requested_model";
        }
        Set<ModelSpec> candidates = new LinkedHashSet<>();
        candidates.add(first);
        for (JsonNode f : routing.path("fallback_models")) {
            ModelSpec fallback = named(f.asText(), caller, "routing.fallback_models");
            if (needs.unmetBy(fallback) == null && !config.blockedProviders().contains(fallback.provider())) {
                candidates.add(fallback);
            }
        }
        candidates.addAll(ranked);
        RoutingDecision decision = new RoutingDecision(strategy, reason, new ArrayList<>(candidates));
        exchange.setProperty(ExchangeKeys.ROUTING, decision);
        exchange.setProperty(ExchangeKeys.MODEL, first);
        exchange.setProperty(ExchangeKeys.PROVIDER, first.provider());
    }

    private List<ModelSpec> eligible(RequestNeeds needs, Caller caller, RouterConfig config, JsonNode routing) {
        BigDecimal maxPer1k = routing.hasNonNull("max_cost_per_1k_tokens") ? routing.get("max_cost_per_1k_tokens").decimalValue() : null;
        long maxLatency = routing.hasNonNull("max_latency_ms") ? routing.get("max_latency_ms").asLong() : -1;
        List<ModelSpec> out = new ArrayList<>();
        for (ModelSpec m : catalog.models()) {
            if ((caller != null && !caller.mayUse(m.id())) || needs.unmetBy(m) != null
                    || config.blockedProviders().contains(m.provider()) || !breakerAdmits.test(m.provider())) {
                continue;
            }
            BigDecimal cost = needs.estimatedCost(m);
            if (maxPer1k != null && (cost == null || needs.costPer1k(m).compareTo(maxPer1k) > 0)) {
                continue;
            }
            if (config.maxCostPerRequest() != null && cost != null && cost.compareTo(config.maxCostPerRequest()) > 0) {
                continue;
            }
            if (maxLatency > 0 && ranking.latencyOf(m) > maxLatency) {
                continue;
            }
            out.add(m);
        }
        return out;
    }

    private static List<String> preferredProviders(JsonNode routing, RouterConfig config) {
        if (!routing.has("preferred_providers")) {
            return config.preferredProviders();
        }
        List<String> out = new ArrayList<>();
        routing.get("preferred_providers").forEach(p -> out.add(p.asText().toLowerCase(Locale.ROOT)));
        return out;
    }

    private ModelSpec named(String name, Caller caller, String param) {
        ModelSpec model = catalog.find(name).orElseThrow(() -> GatewayException
                .of(ErrorType.NOT_FOUND, "The model '" + name + "' does not exist; GET /api/v1/models lists the available models")
                .param(param).code("model_not_found").build());
        if (caller != null && !caller.mayUse(model.id())) {
            throw GatewayException.of(ErrorType.PERMISSION, "This API key may not use the model '" + model.id() + "'")
                    .param(param).code("model_not_allowed").build();
        }
        return model;
    }

    private static GatewayException refusal(ModelSpec model, String unmet) {
        return switch (unmet) {
            case "no vision" -> GatewayException.of(ErrorType.INVALID_REQUEST, "The model '" + model.id() + "' does not accept images")
                    .param("messages").code("model_not_vision_capable").build();
            default -> GatewayException.of(ErrorType.INVALID_REQUEST, "The model '" + model.id() + "' does not support tools")
                    .param("tools").code("tools_not_supported").build();
        };
    }
}
