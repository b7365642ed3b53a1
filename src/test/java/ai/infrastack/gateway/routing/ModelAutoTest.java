package ai.infrastack.gateway.routing;

import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code model: "auto"} over real HTTP: the cost strategy picks the cheapest model that fits the
 * request and the cost ceiling, tools rule out models without function calling, the routing
 * object says why, and a ceiling nothing fits is the client's error.
 */
class ModelAutoTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static RunningGateway gateway;
    private static ModelCatalog catalog;

    @BeforeAll
    static void start() {
        gateway = RunningGateway.start();
        catalog = gateway.context().getRegistry().lookupByNameAndType("modelCatalog", ModelCatalog.class);
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void strategy_cost_picks_the_cheapest_model_that_fits() throws Exception {
        ObjectNode request = request("Say hello", "cost");
        ((ObjectNode) request.get("routing")).put("max_cost_per_1k_tokens", 0.01);
        JsonNode body = ok(request);
        RequestNeeds needs = RequestNeeds.of(request);
        ModelSpec cheapest = catalog.models().stream().filter(ModelSpec::priced)
                .min(Comparator.comparing(needs::estimatedCost)).orElseThrow();
        JsonNode routing = body.get("routing");
        assertEquals(needs.estimatedCost(cheapest), needs.estimatedCost(catalog.find(routing.get("selected_model").asText()).orElseThrow()));
        assertTrue(routing.get("routing_reason").asText().contains("strategy cost"), routing.toString());
        assertTrue(routing.get("considered_models").size() > 1);
    }

    @Test
    void with_tools_auto_never_picks_a_model_without_function_calling() throws Exception {
        List<String> withoutTools = catalog.models().stream().filter(m -> !m.functionCalling()).map(ModelSpec::id).toList();
        assertTrue(!withoutTools.isEmpty(), "the catalog has models without function calling to avoid");
        for (String strategy : List.of("cost", "speed", "quality", "auto")) {
            ObjectNode request = request("What is the weather?", strategy);
            request.putArray("tools").addObject().put("type", "function").putObject("function").put("name", "get_weather")
                    .putObject("parameters").put("type", "object");
            JsonNode routing = ok(request).get("routing");
            for (JsonNode id : routing.get("considered_models")) {
                assertTrue(!withoutTools.contains(id.asText()), strategy + " considered " + id);
            }
        }
    }

    @Test
    void strategy_quality_picks_the_best_scored_model() throws Exception {
        JsonNode routing = ok(request("Prove it", "quality")).get("routing");
        double best = catalog.models().stream().mapToDouble(ModelSpec::quality).max().orElseThrow();
        assertEquals(best, catalog.find(routing.get("selected_model").asText()).orElseThrow().quality());
    }

    @Test
    void a_cost_ceiling_nothing_fits_is_a_404_no_model_fits() throws Exception {
        ObjectNode request = request("Say hello", "cost");
        ((ObjectNode) request.get("routing")).put("max_cost_per_1k_tokens", 0.0000001);
        HttpResponse<String> r = gateway.post("/chat/completions", request.toString(), RunningGateway.MASTER_KEY);
        assertEquals(404, r.statusCode(), r.body());
        assertEquals("no_model_fits", JSON.readTree(r.body()).get("error").get("code").asText());
    }

    @Test
    void a_named_model_keeps_its_requested_model_reason() throws Exception {
        ObjectNode request = request("Hi", null);
        request.put("model", "gpt-4o-mini");
        JsonNode routing = ok(request).get("routing");
        assertEquals("requested_model", routing.get("routing_reason").asText());
        assertEquals(false, routing.get("fallback_used").asBoolean());
        assertEquals(false, routing.get("cache_hit").asBoolean());
    }

    private static ObjectNode request(String text, String strategy) {
        ObjectNode body = JSON.createObjectNode().put("model", "auto");
        body.putArray("messages").addObject().put("role", "user").put("content", text);
        ObjectNode routing = body.putObject("routing");
        if (strategy != null) {
            routing.put("strategy", strategy);
        }
        body.putObject("response").put("include_model_info", true);
        return body;
    }

    private static JsonNode ok(ObjectNode request) throws Exception {
        HttpResponse<String> r = gateway.post("/chat/completions", request.toString(), RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }
}
