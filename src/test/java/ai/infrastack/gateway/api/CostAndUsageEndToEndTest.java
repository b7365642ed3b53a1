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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Usage, cost and latency of real chat calls over HTTP, through the sandbox upstreams: cached
 * tokens counted once whatever the vendor's convention, every bucket billed at the catalog's rate,
 * and the {@code response.include_*} switches honoured.
 */
class CostAndUsageEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);
    private static final BigDecimal THOUSAND = BigDecimal.valueOf(1000);
    /** Well over the 1200 cached tokens, so part of the prompt is uncached on OpenAI too. */
    private static final String LONG_PROMPT = longPrompt(1_500);

    private static RunningGateway gateway;

    @BeforeAll
    static void start() {
        gateway = RunningGateway.start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static String longPrompt(int words) {
        StringBuilder b = new StringBuilder("Summarise this document:");
        for (int i = 0; i < words; i++) {
            b.append(" word").append(i);
        }
        return b.toString();
    }

    // ---- calling the gateway --------------------------------------------------------------------

    private static ObjectNode request(String model, String userText) {
        ObjectNode body = JSON.createObjectNode().put("model", model);
        body.putArray("messages").addObject().put("role", "user").put("content", userText);
        return body;
    }

    private static HttpResponse<String> send(ObjectNode body) {
        return gateway.post("/chat/completions", body.toString(), RunningGateway.MASTER_KEY);
    }

    /** A successful call: 200, an X-Request-Id, and the parsed body. */
    private static JsonNode ok(ObjectNode body) throws IOException {
        HttpResponse<String> r = send(body);
        assertEquals(200, r.statusCode(), r.body());
        assertRequestId(r);
        return JSON.readTree(r.body());
    }

    private static JsonNode chat(String model, String userText) throws IOException {
        return ok(request(model, userText));
    }

    private static String assertRequestId(HttpResponse<String> r) {
        String id = r.headers().firstValue("X-Request-Id").orElse(null);
        assertNotNull(id, "X-Request-Id header on " + r.uri() + " (" + r.statusCode() + ")");
        assertTrue(id.startsWith("req_") && id.length() > 4, id);
        return id;
    }

    // ---- expected costs, from the YAML ------------------------------------------------------------

    private static BigDecimal perMillion(long tokens, BigDecimal rate) {
        return rate.multiply(BigDecimal.valueOf(tokens)).divide(MILLION);
    }

    /** The 5-minute cache-write price of a model straight from pricing/*.yaml (CatalogPrices has none). */
    private static BigDecimal cacheWritePerMillion(String modelId) throws IOException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        for (File f : new File("pricing").listFiles((d, n) -> n.endsWith(".yaml"))) {
            for (JsonNode m : yaml.readTree(f).path("models")) {
                if (modelId.equals(m.path("id").asText())) {
                    JsonNode p = m.path("pricing");
                    return p.has("cache_write") ? p.get("cache_write").decimalValue() : p.get("input").decimalValue();
                }
            }
        }
        throw new IllegalArgumentException("no model " + modelId + " in pricing/");
    }

    private static void assertMoney(BigDecimal expected, JsonNode actual, String what) {
        assertNotNull(actual, what + " is missing");
        assertTrue(actual.isNumber(), what + " is a number: " + actual);
        assertEquals(0, expected.compareTo(actual.decimalValue()),
                what + ": expected " + expected.toPlainString() + " but was " + actual.decimalValue().toPlainString());
    }

    /** cost = catalog rate × bucket, for every bucket, rendered at 8 decimals. */
    private static void assertCost(JsonNode response, String model, long uncached, long cacheRead, long cacheWrite, long output)
            throws IOException {
        CatalogPrices prices = CatalogPrices.of(model);
        BigDecimal cachedRate = prices.cachedPerMillion() != null ? prices.cachedPerMillion() : prices.inputPerMillion();
        BigDecimal input = perMillion(uncached, prices.inputPerMillion())
                .add(perMillion(cacheRead, cachedRate))
                .add(perMillion(cacheWrite, cacheWritePerMillion(model)));
        BigDecimal out = perMillion(output, prices.outputPerMillion());
        BigDecimal total = input.add(out);
        long totalTokens = uncached + cacheRead + cacheWrite + output;

        JsonNode cost = response.get("cost");
        assertNotNull(cost, "cost object: " + response);
        assertMoney(CatalogPrices.rounded(input), cost.get("input_cost"), model + " input_cost");
        assertMoney(CatalogPrices.rounded(out), cost.get("output_cost"), model + " output_cost");
        assertMoney(CatalogPrices.rounded(total), cost.get("total_cost"), model + " total_cost");
        BigDecimal per1k = total.multiply(THOUSAND).divide(BigDecimal.valueOf(totalTokens), 20, RoundingMode.HALF_EVEN);
        assertMoney(CatalogPrices.rounded(per1k), cost.get("cost_per_1k_tokens"), model + " cost_per_1k_tokens");
        BigDecimal fromRenderedTotal = cost.get("total_cost").decimalValue().multiply(THOUSAND)
                .divide(BigDecimal.valueOf(totalTokens), 20, RoundingMode.HALF_EVEN);
        assertTrue(fromRenderedTotal.subtract(cost.get("cost_per_1k_tokens").decimalValue()).abs().compareTo(new BigDecimal("0.00000001")) <= 0,
                "cost_per_1k_tokens = total_cost / total_tokens × 1000");
        assertEquals("USD", cost.path("currency").asText());
        if (cacheRead > 0) {
            assertMoney(CatalogPrices.rounded(perMillion(cacheRead, prices.inputPerMillion().subtract(cachedRate))),
                    cost.get("cache_savings"), model + " cache_savings");
        } else {
            assertFalse(cost.has("cache_savings"), "no cache reads, no cache_savings: " + cost);
        }
    }

    private static long usage(JsonNode response, String field) {
        JsonNode v = response.path("usage").get(field);
        assertNotNull(v, "usage." + field + " in " + response.path("usage"));
        return v.asLong();
    }

    // ---- cached tokens: counted once for both vendors ---------------------------------------------

    @Test
    void openai_cached_tokens_are_inside_prompt_tokens_once_and_billed_at_the_cached_rate() throws IOException {
        // Same words either way (the directive is one word), so the only difference is the cache.
        JsonNode plain = chat("gpt-4o", LONG_PROMPT + " [sandbox:cached=0]");
        JsonNode cached = chat("gpt-4o", LONG_PROMPT + " [sandbox:cached=1200]");

        long prompt = usage(plain, "prompt_tokens");
        assertTrue(prompt > 1_200, "the prompt is long enough to hold 1200 cached tokens: " + prompt);
        assertEquals(prompt, usage(cached, "prompt_tokens"), "OpenAI's prompt_tokens already include the cached tokens");
        assertEquals(usage(plain, "completion_tokens"), usage(cached, "completion_tokens"));
        assertEquals(usage(cached, "prompt_tokens") + usage(cached, "completion_tokens"), usage(cached, "total_tokens"));
        assertEquals(1_200, usage(cached, "cache_hit_tokens"));
        assertEquals(1_200, cached.path("usage").path("prompt_tokens_details").path("cached_tokens").asLong());
        assertFalse(plain.path("usage").has("cache_hit_tokens"), "no cache hit without cached tokens");

        assertCost(plain, "gpt-4o", prompt, 0, 0, usage(plain, "completion_tokens"));
        assertCost(cached, "gpt-4o", prompt - 1_200, 1_200, 0, usage(cached, "completion_tokens"));
        assertMoney(new BigDecimal("0.0015"), cached.path("cost").get("cache_savings"), "1200 × (2.50 − 1.25) / 1M");
    }

    @Test
    void anthropic_cache_reads_and_writes_are_added_to_prompt_tokens_once_and_billed_at_their_rates() throws IOException {
        JsonNode plain = chat("claude-3.5-sonnet", LONG_PROMPT + " [sandbox:cached=0] [sandbox:cache_write=0]");
        JsonNode cached = chat("claude-3.5-sonnet", LONG_PROMPT + " [sandbox:cached=1200] [sandbox:cache_write=300]");

        long uncached = usage(plain, "prompt_tokens");
        assertEquals(uncached + 1_200 + 300, usage(cached, "prompt_tokens"),
                "Anthropic's input_tokens exclude cache reads and writes: prompt_tokens adds each once");
        assertEquals(usage(plain, "completion_tokens"), usage(cached, "completion_tokens"));
        assertEquals(usage(cached, "prompt_tokens") + usage(cached, "completion_tokens"), usage(cached, "total_tokens"));
        assertEquals(1_200, usage(cached, "cache_hit_tokens"));
        assertEquals(300, usage(cached, "cache_write_tokens"));
        assertEquals(1_200, cached.path("usage").path("prompt_tokens_details").path("cached_tokens").asLong());

        assertCost(plain, "claude-3.5-sonnet", uncached, 0, 0, usage(plain, "completion_tokens"));
        assertCost(cached, "claude-3.5-sonnet", uncached, 1_200, 300, usage(cached, "completion_tokens"));
        assertMoney(new BigDecimal("0.00324"), cached.path("cost").get("cache_savings"), "1200 × (3.00 − 0.30) / 1M");
    }

    @Test
    void reasoning_tokens_are_inside_completion_tokens_and_billed_at_the_output_rate() throws IOException {
        JsonNode plain = chat("o4-mini", "Think about prime numbers [sandbox:reasoning=0]");
        JsonNode reasoning = chat("o4-mini", "Think about prime numbers [sandbox:reasoning=50]");

        assertEquals(usage(plain, "completion_tokens") + 50, usage(reasoning, "completion_tokens"),
                "the 50 reasoning tokens are counted once, inside completion_tokens");
        assertEquals(50, reasoning.path("usage").path("completion_tokens_details").path("reasoning_tokens").asLong());
        assertEquals(usage(plain, "prompt_tokens"), usage(reasoning, "prompt_tokens"));
        assertEquals(usage(reasoning, "prompt_tokens") + usage(reasoning, "completion_tokens"), usage(reasoning, "total_tokens"));
        assertCost(reasoning, "o4-mini", usage(reasoning, "prompt_tokens"), 0, 0, usage(reasoning, "completion_tokens"));
    }

    // ---- response.include_* ---------------------------------------------------------------------

    @Test
    void by_default_usage_cost_and_latency_are_included_and_routing_is_not() throws IOException {
        JsonNode r = chat("gpt-4o", "Hello there");
        assertTrue(r.has("usage") && r.has("cost") && r.has("latency"), r.toString());
        assertFalse(r.has("routing"), r.toString());
        assertEquals("openai", r.path("provider").asText());
    }

    @ParameterizedTest
    @CsvSource({"include_usage, usage", "include_cost, cost", "include_latency, latency"})
    void include_switch_false_omits_only_that_object(String flag, String object) throws IOException {
        ObjectNode body = request("claude-3-haiku", "Hello there");
        body.putObject("response").put(flag, false);
        JsonNode r = ok(body);
        assertFalse(r.has(object), object + " omitted: " + r);
        for (String other : new String[] {"usage", "cost", "latency"}) {
            if (!other.equals(object)) {
                assertTrue(r.has(other), other + " still present: " + r);
            }
        }
        assertTrue(r.path("choices").size() > 0, "the completion itself is still there");
    }

    @Test
    void all_include_switches_false_leave_a_plain_completion() throws IOException {
        ObjectNode body = request("gpt-4o", "Hello there");
        body.putObject("response").put("include_usage", false).put("include_cost", false).put("include_latency", false);
        JsonNode r = ok(body);
        assertFalse(r.has("usage") || r.has("cost") || r.has("latency"), r.toString());
        assertEquals("gpt-4o", r.path("model").asText());
    }

    @ParameterizedTest
    @CsvSource({"gpt-4o, openai", "claude-3.5-sonnet, anthropic"})
    void include_model_info_adds_routing_with_the_selected_provider(String model, String provider) throws IOException {
        ObjectNode body = request(model, "Hello there");
        body.putObject("response").put("include_model_info", true);
        JsonNode routing = ok(body).get("routing");
        assertNotNull(routing, "routing object");
        assertEquals(provider, routing.path("selected_provider").asText());
        assertFalse(routing.path("routing_reason").asText().isBlank(), "routing_reason");
        assertTrue(routing.path("considered_models").isArray(), "considered_models");
    }

    // ---- latency --------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"gpt-4o", "claude-3-haiku"})
    void injected_upstream_latency_shows_in_ttfb_and_total(String model) throws IOException {
        JsonNode latency = chat(model, "Hello there [sandbox:latency=150]").get("latency");
        assertNotNull(latency);
        long total = latency.path("total_time_ms").asLong(-1);
        long ttfb = latency.path("ttfb_ms").asLong(-1);
        assertTrue(ttfb >= 150, "ttfb_ms " + ttfb + " includes the 150 ms upstream delay");
        assertTrue(total >= ttfb, "total_time_ms " + total + " >= ttfb_ms " + ttfb);
        assertEquals(total - ttfb, latency.path("processing_time_ms").asLong(-1), "processing_time_ms = total − ttfb");
    }

    @Test
    void openai_processing_ms_header_gives_network_time() throws IOException {
        JsonNode latency = chat("gpt-4o", "Hello there [sandbox:processing_ms=40] [sandbox:latency=150]").get("latency");
        assertTrue(latency.has("network_time_ms"), "network_time_ms present: " + latency);
        long network = latency.get("network_time_ms").asLong();
        long ttfb = latency.get("ttfb_ms").asLong();
        long total = latency.get("total_time_ms").asLong();
        // network = upstream round trip − the 40 ms OpenAI says it spent; the round trip lies between ttfb and total.
        assertTrue(network >= ttfb - 40, "network_time_ms " + network + " >= ttfb " + ttfb + " − 40");
        assertTrue(network <= total - 40, "network_time_ms " + network + " <= total " + total + " − 40");
    }

    // ---- model names and request ids ------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({
            "anthropic/claude-3-5-sonnet, claude-3.5-sonnet, anthropic",
            "claude-3-5-sonnet-20241022, claude-3.5-sonnet, anthropic",
            "GPT-4O-2024-08-06, gpt-4o, openai",
            "openai/gpt-4o, gpt-4o, openai"})
    void response_model_is_the_gateway_id_even_when_the_request_used_an_alias(String requested, String id, String provider)
            throws IOException {
        JsonNode r = chat(requested, "Hello there");
        assertEquals(id, r.path("model").asText());
        assertEquals(provider, r.path("provider").asText());
        assertCost(r, id, usage(r, "prompt_tokens"), 0, 0, usage(r, "completion_tokens"));
    }

    @Test
    void every_response_has_a_fresh_x_request_id() throws IOException {
        Set<String> ids = new HashSet<>();
        ids.add(assertRequestId(send(request("gpt-4o", "Hello there"))));
        ids.add(assertRequestId(send(request("claude-3-haiku", "Hello there"))));
        ids.add(assertRequestId(send(request("no-such-model", "Hello there"))));
        ids.add(assertRequestId(send(request("claude-3-haiku", "Hello there [sandbox:status=500]"))));
        ids.add(assertRequestId(gateway.post("/chat/completions", "{not json", RunningGateway.MASTER_KEY)));
        ids.add(assertRequestId(gateway.post("/chat/completions", request("gpt-4o", "hi").toString(), null)));
        ids.add(assertRequestId(gateway.get("/models", RunningGateway.MASTER_KEY)));
        ids.add(assertRequestId(gateway.get("/health", null)));
        assertEquals(8, ids.size(), "each response has its own id: " + ids);
    }
}
