package ai.infrastack.gateway.api;

import ai.infrastack.gateway.support.CatalogPrices;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code GET /api/v1/models} and {@code GET /api/v1/health} in the spec's format, over real HTTP. */
class ModelsAndHealthTest {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);
    private static RunningGateway gateway;

    @BeforeAll
    static void start() {
        gateway = RunningGateway.start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    /** Every model of pricing/*.yaml by id, with its provider, read without the gateway's catalog code. */
    private static Map<String, JsonNode> yamlModels() throws IOException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        Map<String, JsonNode> models = new HashMap<>();
        for (File f : new File("pricing").listFiles((d, n) -> n.endsWith(".yaml"))) {
            JsonNode root = yaml.readTree(f);
            for (JsonNode m : root.path("models")) {
                ((ObjectNode) m).put("provider", root.path("provider").asText());
                models.put(m.path("id").asText(), m);
            }
        }
        return models;
    }

    private static JsonNode models() throws IOException {
        HttpResponse<String> r = gateway.get("/models", RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        return JSON.readTree(r.body());
    }

    private static JsonNode health() throws IOException {
        HttpResponse<String> r = gateway.get("/health", null);
        assertEquals(200, r.statusCode(), "health is open without a key: " + r.body());
        return JSON.readTree(r.body());
    }

    private static JsonNode entry(JsonNode models, String id) {
        for (JsonNode m : models.path("data")) {
            if (id.equals(m.path("id").asText())) {
                return m;
            }
        }
        throw new AssertionError(id + " not in /models");
    }

    private static void assertDecimal(BigDecimal expected, JsonNode actual, String what) {
        assertNotNull(actual, what + " missing");
        assertTrue(actual.isNumber(), what + " is a number: " + actual);
        assertEquals(0, expected.compareTo(actual.decimalValue()), what + ": expected " + expected + " but was " + actual);
    }

    // ---- /models --------------------------------------------------------------------------------

    @Test
    void models_lists_every_catalog_model_in_the_spec_format() throws IOException {
        JsonNode root = models();
        Map<String, JsonNode> yaml = yamlModels();
        assertTrue(root.path("data").isArray(), "data[]");
        assertEquals(yaml.size(), root.path("data").size(), "one entry per catalog model");
        for (JsonNode m : root.path("data")) {
            String id = m.path("id").asText();
            JsonNode y = yaml.get(id);
            assertNotNull(y, "listed model " + id + " is in pricing/");
            assertEquals("model", m.path("object").asText(), id);
            assertEquals(y.path("provider").asText(), m.path("provider").asText(), id + " provider");
            assertEquals(y.path("display_name").asText(id), m.path("display_name").asText(), id + " display_name");
            assertEquals(y.path("category").asText("general"), m.path("category").asText(), id + " category");
            assertEquals(y.path("tier").asText("standard"), m.path("tier").asText(), id + " tier");

            JsonNode caps = m.get("capabilities");
            assertNotNull(caps, id + " capabilities");
            for (String field : new String[] {"max_tokens", "context_window", "supports_vision", "supports_function_calling",
                    "supports_streaming", "cost_per_1k_input_tokens", "cost_per_1k_output_tokens", "avg_latency_ms"}) {
                assertTrue(caps.has(field), id + " capabilities." + field);
            }
            JsonNode yc = y.path("capabilities");
            assertEquals(y.path("max_output_tokens").asLong(4096), caps.path("max_tokens").asLong(), id + " max_tokens");
            assertEquals(y.path("context_window").asLong(0), caps.path("context_window").asLong(), id + " context_window");
            assertEquals(yc.path("vision").asBoolean(false), caps.path("supports_vision").asBoolean(), id + " vision");
            assertEquals(yc.path("function_calling").asBoolean(false), caps.path("supports_function_calling").asBoolean(), id + " function calling");
            assertEquals(yc.path("streaming").asBoolean(true), caps.path("supports_streaming").asBoolean(), id + " streaming");
            for (String flag : new String[] {"supports_vision", "supports_function_calling", "supports_streaming"}) {
                assertTrue(caps.path(flag).isBoolean(), id + " " + flag + " is a boolean");
            }
            assertEquals(y.path("avg_latency_ms").asLong(1000), caps.path("avg_latency_ms").asLong(), id + " avg_latency_ms");
        }
    }

    @Test
    void per_1k_prices_are_the_yaml_per_1m_prices_divided_by_1000() throws IOException {
        JsonNode root = models();
        Map<String, JsonNode> yaml = yamlModels();
        for (JsonNode m : root.path("data")) {
            String id = m.path("id").asText();
            JsonNode caps = m.path("capabilities");
            if (!yaml.get(id).has("pricing")) {
                assertTrue(caps.get("cost_per_1k_input_tokens").isNull(), id + " has no price: null, never a made-up 0");
                continue;
            }
            CatalogPrices prices = CatalogPrices.of(id);
            assertDecimal(prices.inputPerMillion().divide(THOUSAND), caps.get("cost_per_1k_input_tokens"), id + " input per 1k");
            assertDecimal(prices.outputPerMillion().divide(THOUSAND), caps.get("cost_per_1k_output_tokens"), id + " output per 1k");
        }
        JsonNode sonnet = entry(root, "claude-3.5-sonnet").path("capabilities");
        assertDecimal(new BigDecimal("0.003"), sonnet.get("cost_per_1k_input_tokens"), "claude-3.5-sonnet input per 1k");
        assertDecimal(new BigDecimal("0.015"), sonnet.get("cost_per_1k_output_tokens"), "claude-3.5-sonnet output per 1k");
    }

    @Test
    void spec_table_models_are_listed_with_their_provider() throws IOException {
        JsonNode root = models();
        Map<String, String> expected = Map.of("claude-3-opus", "anthropic", "claude-3.5-sonnet", "anthropic",
                "claude-3-haiku", "anthropic", "gpt-4-turbo", "openai", "gpt-4o", "openai", "gpt-3.5-turbo", "openai",
                "o1-preview", "openai");
        expected.forEach((id, provider) -> assertEquals(provider, entry(root, id).path("provider").asText(), id));
    }

    @Test
    void models_without_a_key_is_401() throws IOException {
        HttpResponse<String> r = gateway.get("/models", null);
        assertEquals(401, r.statusCode(), r.body());
        assertEquals("authentication_error", JSON.readTree(r.body()).path("error").path("type").asText());
        assertFalse(r.body().contains("claude-3.5-sonnet"), "no catalog leaks without a key");

        assertEquals(401, gateway.get("/models", "sk-not-a-key").statusCode(), "an unknown key is refused too");
    }

    // ---- /models/{id} -----------------------------------------------------------------------------

    @Test
    void one_model_is_the_list_entry_in_openai_shape() throws IOException {
        HttpResponse<String> r = gateway.get("/models/claude-3.5-sonnet", RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode model = JSON.readTree(r.body());

        assertEquals(entry(models(), "claude-3.5-sonnet"), model, "the same object as in the list");
        assertEquals("model", model.path("object").asText());
        assertEquals("anthropic", model.path("owned_by").asText());
        assertTrue(model.path("created").isIntegralNumber(), "OpenAI's required created field");
        assertTrue(model.path("capabilities").path("supports_function_calling").isBoolean());
    }

    @Test
    void an_alias_resolves_to_its_model_even_with_a_slash_encoded_in_the_path() throws IOException {
        JsonNode byAlias = JSON.readTree(gateway.get("/models/claude-3-5-sonnet-20241022", RunningGateway.MASTER_KEY).body());
        assertEquals("claude-3.5-sonnet", byAlias.path("id").asText(), byAlias.toString());

        // OpenAI's SDKs percent-encode the id as one path segment
        HttpResponse<String> slashed = gateway.get("/models/anthropic%2Fclaude-3-opus", RunningGateway.MASTER_KEY);
        assertEquals(200, slashed.statusCode(), slashed.body());
        assertEquals("claude-3-opus", JSON.readTree(slashed.body()).path("id").asText());
    }

    @Test
    void an_unknown_model_is_404_model_not_found() throws IOException {
        HttpResponse<String> r = gateway.get("/models/no-such-model", RunningGateway.MASTER_KEY);
        assertEquals(404, r.statusCode(), r.body());
        JsonNode error = JSON.readTree(r.body()).path("error");
        assertEquals("not_found_error", error.path("type").asText());
        assertEquals("model_not_found", error.path("code").asText());
        assertTrue(error.path("message").asText().contains("no-such-model"), error.toString());
        assertTrue(r.headers().firstValue("X-Request-Id").isPresent());
    }

    @Test
    void one_model_without_a_key_is_401() {
        assertEquals(401, gateway.get("/models/gpt-4o", null).statusCode());
    }

    // ---- /health --------------------------------------------------------------------------------

    @Test
    void health_without_a_key_reports_status_version_uptime_sandbox_mode_and_each_provider() throws IOException {
        JsonNode h = health();
        assertTrue(Set.of("healthy", "degraded").contains(h.path("status").asText()), "status: " + h);
        assertEquals("1.0.0", h.path("version").asText());
        assertTrue(h.path("uptime_ms").isIntegralNumber() && h.path("uptime_ms").asLong() >= 0, "uptime_ms: " + h);
        assertEquals("sandbox", h.path("mode").asText());

        Set<String> providersOfModels = new TreeSet<>();
        models().path("data").forEach(m -> providersOfModels.add(m.path("provider").asText()));
        assertTrue(providersOfModels.containsAll(Set.of("anthropic", "openai")), providersOfModels.toString());
        Set<String> reported = new TreeSet<>();
        Iterator<String> names = h.path("providers").fieldNames();
        names.forEachRemaining(reported::add);
        assertEquals(providersOfModels, reported, "one entry per provider: " + h.path("providers"));
        for (String p : reported) {
            JsonNode entry = h.path("providers").path(p);
            assertTrue(Set.of("healthy", "degraded", "unknown").contains(entry.path("status").asText()), p + ": " + entry);
            assertTrue(entry.has("latency_ms"), p + " latency_ms: " + entry);
        }

        long later = health().path("uptime_ms").asLong();
        assertTrue(later >= h.path("uptime_ms").asLong(), "uptime grows");
    }

    @Test
    void openai_is_degraded_after_an_openai_call_fails_with_upstream_500() throws IOException {
        String ok = "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}";
        assertEquals(200, gateway.post("/chat/completions", ok, RunningGateway.MASTER_KEY).statusCode());
        JsonNode before = health().path("providers").path("openai");
        for (int i = 0; i < 100 && !"healthy".equals(before.path("status").asText()); i++) {
            sleep(50);
            before = health().path("providers").path("openai");
        }
        assertEquals("healthy", before.path("status").asText(), "a successful call leaves openai healthy: " + before);
        assertTrue(before.path("latency_ms").isIntegralNumber(), "a latency once openai was called: " + before);

        String failing = "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi [sandbox:status=500]\"}]}";
        HttpResponse<String> r = gateway.post("/chat/completions", failing, RunningGateway.MASTER_KEY);
        assertEquals(502, r.statusCode(), r.body());

        // health is updated by the analytics wire-tap, after the response: allow it a moment
        JsonNode h = health();
        for (int i = 0; i < 100 && !"degraded".equals(h.path("providers").path("openai").path("status").asText()); i++) {
            sleep(50);
            h = health();
        }
        assertEquals("degraded", h.path("providers").path("openai").path("status").asText(), h.toString());
        assertNotEquals("degraded", h.path("providers").path("anthropic").path("status").asText(), "anthropic is unaffected");
        assertEquals("degraded", h.path("status").asText(), "a degraded provider degrades the overall status");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
