package ai.infrastack.gateway.api;

import ai.infrastack.gateway.support.CatalogPrices;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The catalog covers the spec: {@code GET /api/v1/models} lists 20+ models of all six providers in the
 * spec's format, including every model of the spec's table, each of which answers through its provider;
 * and Gemini 1.5 Pro's context tier bills a prompt above 128k tokens at the tier rate.
 */
class ModelCatalogCoverageTest {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final Set<String> PROVIDERS = Set.of("openai", "anthropic", "google", "meta", "mistral", "cohere");
    private static RunningGateway gateway;

    @BeforeAll
    static void start() {
        gateway = RunningGateway.start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static Map<String, JsonNode> listedModels() throws IOException {
        HttpResponse<String> r = gateway.get("/models", RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode root = JSON.readTree(r.body());
        assertTrue(root.path("data").isArray(), "data[] as in the spec: " + r.body());
        Map<String, JsonNode> byId = new HashMap<>();
        for (JsonNode m : root.get("data")) {
            assertTrue(byId.put(m.path("id").asText(), m) == null, "model listed twice: " + m.path("id"));
        }
        return byId;
    }

    @Test
    void models_lists_twenty_plus_models_across_all_six_providers_in_the_spec_format() throws IOException {
        Map<String, JsonNode> models = listedModels();
        assertTrue(models.size() >= 20, "20+ models, got " + models.size());
        Map<String, Integer> perProvider = new HashMap<>();
        for (JsonNode m : models.values()) {
            String id = m.path("id").asText();
            assertTrue(m.path("id").isTextual() && !id.isBlank(), m.toString());
            assertEquals("model", m.path("object").asText(), id);
            assertTrue(PROVIDERS.contains(m.path("provider").asText()), id + " provider " + m.path("provider"));
            assertTrue(m.path("display_name").isTextual() && !m.path("display_name").asText().isBlank(), id + " display_name");
            assertTrue(m.path("category").isTextual() && !m.path("category").asText().isBlank(), id + " category");
            assertTrue(m.path("tier").isTextual() && !m.path("tier").asText().isBlank(), id + " tier");
            JsonNode caps = m.path("capabilities");
            assertTrue(caps.path("max_tokens").isIntegralNumber() && caps.path("max_tokens").asLong() > 0, id + " max_tokens");
            assertTrue(caps.path("context_window").isIntegralNumber() && caps.path("context_window").asLong() > 0, id + " context_window");
            for (String flag : List.of("supports_vision", "supports_function_calling", "supports_streaming")) {
                assertTrue(caps.path(flag).isBoolean(), id + " " + flag + " is a boolean");
            }
            for (String price : List.of("cost_per_1k_input_tokens", "cost_per_1k_output_tokens")) {
                assertTrue(caps.path(price).isNumber() && caps.path(price).decimalValue().signum() >= 0, id + " " + price + ": " + caps);
            }
            assertTrue(caps.path("avg_latency_ms").isNumber() && caps.path("avg_latency_ms").asLong() > 0, id + " avg_latency_ms");
            perProvider.merge(m.path("provider").asText(), 1, Integer::sum);
        }
        assertEquals(PROVIDERS, perProvider.keySet(), "every provider has models: " + perProvider);
    }

    /** The spec's "Supported Models" table, by provider, name and gateway id (from pricing/*.yaml). */
    @ParameterizedTest(name = "{1} ({0}) is {2}")
    @CsvSource({
            "anthropic, Claude 3 Opus, claude-3-opus",
            "anthropic, Claude 3.5 Sonnet, claude-3.5-sonnet",
            "anthropic, Claude 3 Haiku, claude-3-haiku",
            "openai, GPT-4 Turbo, gpt-4-turbo",
            "openai, GPT-4o, gpt-4o",
            "openai, GPT-3.5 Turbo, gpt-3.5-turbo",
            "openai, o1-preview, o1-preview",
            "google, Gemini 1.5 Pro, gemini-1.5-pro",
            "google, Gemini 1.5 Flash, gemini-1.5-flash",
            "meta, Llama 3.1 70B, llama-3.1-70b",
            "meta, Llama 3.1 8B, llama-3.1-8b",
            "meta, Code Llama, code-llama",
            "mistral, Mistral Large, mistral-large",
            "mistral, Mistral Medium, mistral-medium",
            "mistral, Codestral, codestral",
            "cohere, Command R+, command-r-plus",
            "cohere, Command R, command-r"})
    void every_model_of_the_spec_table_is_listed_priced_and_answers_through_its_provider(String provider, String name, String id)
            throws IOException {
        JsonNode m = listedModels().get(id);
        assertNotNull(m, name + " is listed as " + id);
        assertEquals(provider, m.path("provider").asText(), id);
        assertTrue(m.path("display_name").asText().startsWith(name), id + " display_name " + m.path("display_name"));
        CatalogPrices prices = CatalogPrices.of(id);
        JsonNode caps = m.path("capabilities");
        assertEquals(0, prices.inputPerMillion().movePointLeft(3).compareTo(caps.path("cost_per_1k_input_tokens").decimalValue()),
                id + " cost_per_1k_input_tokens is the catalog's per-1M price / 1000: " + caps);
        assertEquals(0, prices.outputPerMillion().movePointLeft(3).compareTo(caps.path("cost_per_1k_output_tokens").decimalValue()),
                id + " cost_per_1k_output_tokens: " + caps);

        gateway.sandbox().clearRecorded();
        HttpResponse<String> r = gateway.post("/chat/completions",
                "{\"model\": \"" + id + "\", \"messages\": [{\"role\": \"user\", \"content\": \"Say hello\"}]}", RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), id + " answers: " + r.body());
        JsonNode response = JSON.readTree(r.body());
        assertEquals(provider, response.path("provider").asText());
        assertEquals(id, response.path("model").asText());
        assertEquals(1, gateway.sandbox().recorded().size(), "one upstream call");
    }

    // ---- Tiered prices ------------------------------------------------------------------------------

    /** A Gemini 1.5 Pro request whose prompt is {@code words} sandbox tokens (one word = one token) plus a few. */
    private static JsonNode geminiWithPromptOf(int words, String directive) throws IOException {
        StringBuilder text = new StringBuilder(words * 5 + 64);
        for (int i = 0; i < words; i++) {
            text.append("tok ");
        }
        text.append(directive);
        String body = JSON.writeValueAsString(Map.of("model", "gemini-1.5-pro", "max_tokens", 50,
                "messages", List.of(Map.of("role", "user", "content", text.toString()))));
        HttpResponse<String> r = gateway.post("/chat/completions", body, RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body().length() > 2000 ? r.body().substring(0, 2000) : r.body());
        return JSON.readTree(r.body());
    }

    private static void assertDecimal(BigDecimal expected, JsonNode actual, String what) {
        assertNotNull(actual, what + " missing");
        assertEquals(0, expected.compareTo(actual.decimalValue()), what + ": expected " + expected + " but was " + actual);
    }

    @Test
    void gemini_1_5_pro_prompt_above_128k_tokens_is_billed_entirely_at_the_tier_rate() throws IOException {
        JsonNode response = geminiWithPromptOf(130_000, "");
        JsonNode usage = response.get("usage");
        long prompt = usage.get("prompt_tokens").asLong();
        long completion = usage.get("completion_tokens").asLong();
        assertTrue(prompt > 128_000 && prompt < 131_000, "the sandbox counts one token per word: " + usage);
        assertEquals(prompt + completion, usage.get("total_tokens").asLong());

        CatalogPrices base = CatalogPrices.of("gemini-1.5-pro");
        CatalogPrices tier = CatalogPrices.forPrompt("gemini-1.5-pro", prompt);
        assertNotEquals(0, tier.inputPerMillion().compareTo(base.inputPerMillion()), "the tier has its own input price");
        assertNotEquals(0, tier.outputPerMillion().compareTo(base.outputPerMillion()), "the tier has its own output price");
        JsonNode cost = response.get("cost");
        assertDecimal(tier.inputFor(prompt), cost.get("input_cost"), "input at the >128k rate");
        assertDecimal(tier.outputFor(completion), cost.get("output_cost"), "output at the >128k rate too");
        assertDecimal(tier.inputFor(prompt).add(tier.outputFor(completion)), cost.get("total_cost"), "total_cost");
        assertNotEquals(0, base.inputFor(prompt).compareTo(cost.get("input_cost").decimalValue()), "not the base rate");
    }

    @Test
    void gemini_1_5_pro_prompt_at_or_below_128k_tokens_stays_at_the_base_rate() throws IOException {
        JsonNode response = geminiWithPromptOf(127_900, "");
        JsonNode usage = response.get("usage");
        long prompt = usage.get("prompt_tokens").asLong();
        long completion = usage.get("completion_tokens").asLong();
        assertTrue(prompt > 127_000 && prompt <= 128_000, "just below the threshold: " + usage);
        CatalogPrices base = CatalogPrices.of("gemini-1.5-pro");
        assertEquals(base, CatalogPrices.forPrompt("gemini-1.5-pro", prompt));
        JsonNode cost = response.get("cost");
        assertDecimal(base.inputFor(prompt), cost.get("input_cost"), "input at the base rate");
        assertDecimal(base.outputFor(completion), cost.get("output_cost"), "output at the base rate");
    }

    @Test
    void gemini_1_5_pro_cached_tokens_of_a_prompt_above_128k_use_the_tier_cache_price() throws IOException {
        JsonNode response = geminiWithPromptOf(130_000, " [sandbox:cached=100000]");
        JsonNode usage = response.get("usage");
        long prompt = usage.get("prompt_tokens").asLong();
        long cached = usage.at("/prompt_tokens_details/cached_tokens").asLong();
        long completion = usage.get("completion_tokens").asLong();
        assertEquals(100_000, cached, "Gemini's cachedContentTokenCount reaches the client: " + usage);
        assertTrue(prompt > 128_000, usage.toString());

        CatalogPrices tier = CatalogPrices.forPrompt("gemini-1.5-pro", prompt);
        assertNotNull(tier.cachedPerMillion(), "the tier has a cache price");
        BigDecimal million = BigDecimal.valueOf(1_000_000);
        BigDecimal expectedInput = CatalogPrices.rounded(tier.inputPerMillion().multiply(BigDecimal.valueOf(prompt - cached))
                .add(tier.cachedPerMillion().multiply(BigDecimal.valueOf(cached))).divide(million));
        JsonNode cost = response.get("cost");
        assertDecimal(expectedInput, cost.get("input_cost"), "uncached at the tier input rate, cached at the tier cache rate");
        assertDecimal(tier.outputFor(completion), cost.get("output_cost"), "output at the tier rate");
    }
}
