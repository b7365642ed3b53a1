package ai.infrastack.gateway.metrics;

import ai.infrastack.gateway.support.PrometheusText;
import ai.infrastack.gateway.support.PrometheusText.Sample;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code GET /metrics} after known traffic, read with a Prometheus text-format parser: the spec's
 * six names with their types, labels and values, plus JVM and Camel route metrics; and the
 * endpoint is gone (404 in the spec's error format) with ENABLE_METRICS=false.
 */
class PrometheusMetricsTest {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final List<String> SPEC_COUNTERS = List.of("unified_requests_total", "unified_tokens_total",
            "unified_cost_total", "unified_errors_total", "unified_cache_hits_total");
    private static final String HISTOGRAM = "unified_request_duration_seconds";
    private static final int TRAFFIC = 7;

    private static RunningGateway gateway;
    /** What the responses said, per served model: tokens by type and summed total_cost. */
    private static final Map<String, Long> promptTokens = new HashMap<>();
    private static final Map<String, Long> completionTokens = new HashMap<>();
    private static final Map<String, BigDecimal> costs = new HashMap<>();
    private static PrometheusText scrape;
    private static HttpResponse<String> scrapeResponse;

    @BeforeAll
    static void sendKnownTrafficAndScrape() throws Exception {
        gateway = RunningGateway.start();
        for (int i = 0; i < 3; i++) {
            success("gpt-4o", "Count to " + (i + 3) + " please");
        }
        for (int i = 0; i < 2; i++) {
            success("claude-3-haiku", "Name " + (i + 2) + " colours");
        }
        HttpResponse<String> upstreamFailure = chat("gpt-4o", "Fail this one [sandbox:status=500]");
        assertEquals(502, upstreamFailure.statusCode(), upstreamFailure.body());
        assertEquals("provider_error", JSON.readTree(upstreamFailure.body()).path("error").path("type").asText());
        HttpResponse<String> unknownModel = chat("no-such-model-xyz", "Hello");
        assertEquals(404, unknownModel.statusCode(), unknownModel.body());

        // Requests are counted on the wire-tap, off the request path: wait until all seven are in.
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            scrapeResponse = get("/metrics");
            assertEquals(200, scrapeResponse.statusCode(), scrapeResponse.body());
            scrape = PrometheusText.parse(scrapeResponse.body());
            if (scrape.sum("unified_requests_total") >= TRAFFIC && scrape.sum(HISTOGRAM + "_count") >= TRAFFIC) {
                break;
            }
            if (System.nanoTime() > deadline) {
                fail("unified_requests_total never reached " + TRAFFIC + ":\n" + unified(scrapeResponse.body()));
            }
            Thread.sleep(50);
        }
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private static HttpResponse<String> chat(String model, String text) {
        ObjectNode body = JSON.createObjectNode().put("model", model);
        body.putArray("messages").addObject().put("role", "user").put("content", text);
        return gateway.post("/chat/completions", body.toString(), RunningGateway.MASTER_KEY);
    }

    private static void success(String model, String text) throws IOException {
        HttpResponse<String> r = chat(model, text);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = JSON.readTree(r.body());
        JsonNode usage = body.get("usage");
        assertTrue(usage.get("prompt_tokens").asLong() > 0 && usage.get("completion_tokens").asLong() > 0, r.body());
        promptTokens.merge(model, usage.get("prompt_tokens").asLong(), Long::sum);
        completionTokens.merge(model, usage.get("completion_tokens").asLong(), Long::sum);
        BigDecimal cost = body.path("cost").path("total_cost").decimalValue();
        assertTrue(cost.signum() > 0, "a priced model has a cost: " + r.body());
        costs.merge(model, cost, BigDecimal::add);
    }

    /** GET on the server root (not under /api/v1), without any key. */
    private static HttpResponse<String> get(String path) throws IOException, InterruptedException {
        String root = gateway.baseUrl().substring(0, gateway.baseUrl().indexOf("/api/v1"));
        return HTTP.send(HttpRequest.newBuilder(URI.create(root + path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String unified(String text) {
        StringBuilder b = new StringBuilder();
        text.lines().filter(l -> l.contains("unified_") && !l.contains("_bucket")).forEach(l -> b.append(l).append('\n'));
        return b.toString();
    }

    // ---- the six names ------------------------------------------------------------------------------

    @Test
    void servesThePrometheusTextFormatWithoutAKey() {
        assertTrue(scrapeResponse.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
                scrapeResponse.headers().map().toString());
        assertTrue(scrapeResponse.headers().firstValue("Content-Type").orElse("").contains("version=0.0.4"),
                scrapeResponse.headers().map().toString());
    }

    @Test
    void exposesTheSixSpecNamesWithTheirTypes() {
        for (String counter : SPEC_COUNTERS) {
            assertEquals("counter", scrape.type(counter), counter + " is a counter\n" + unified(scrapeResponse.body()));
            assertFalse(scrape.samples(counter).isEmpty(), counter + " has samples\n" + unified(scrapeResponse.body()));
        }
        assertEquals("histogram", scrape.type(HISTOGRAM), HISTOGRAM + " is a histogram");
        for (String part : List.of("_bucket", "_count", "_sum")) {
            assertFalse(scrape.samples(HISTOGRAM + part).isEmpty(), HISTOGRAM + part + " has samples");
        }
    }

    @Test
    void labelsEverySeriesByModelAndProviderAndErrorsByTypeAndProvider() {
        for (String name : List.of("unified_requests_total", "unified_tokens_total", "unified_cost_total",
                "unified_cache_hits_total", HISTOGRAM + "_bucket", HISTOGRAM + "_count", HISTOGRAM + "_sum")) {
            for (Sample s : scrape.samples(name)) {
                assertNotNull(s.label("model"), name + " has a model label: " + s);
                assertNotNull(s.label("provider"), name + " has a provider label: " + s);
            }
        }
        for (Sample s : scrape.samples("unified_errors_total")) {
            assertNotNull(s.label("type"), "unified_errors_total has a type label: " + s);
            assertNotNull(s.label("provider"), "unified_errors_total has a provider label: " + s);
        }
        for (Sample s : scrape.samples("unified_tokens_total")) {
            assertTrue(Set.of("prompt", "completion").contains(s.label("type")), "token type: " + s);
        }
        // Labels come from the catalog, never from what the client typed.
        assertTrue(scrape.samples("unified_requests_total", "model", "no-such-model-xyz").isEmpty(),
                "an unknown model name is not a label value");
    }

    @Test
    void countsRequestsPerModelAndProviderIncludingFailures() {
        assertEquals(4.0, scrape.sum("unified_requests_total", "model", "gpt-4o", "provider", "openai"),
                "3 successes and 1 upstream failure\n" + unified(scrapeResponse.body()));
        assertEquals(2.0, scrape.sum("unified_requests_total", "model", "claude-3-haiku", "provider", "anthropic"));
        assertEquals(TRAFFIC, scrape.sum("unified_requests_total"), "every request counted once");
    }

    @Test
    void countsTokensAsTheResponsesReportedThem() {
        for (String model : List.of("gpt-4o", "claude-3-haiku")) {
            assertEquals(promptTokens.get(model).doubleValue(), scrape.sum("unified_tokens_total", "model", model, "type", "prompt"),
                    model + " prompt tokens\n" + unified(scrapeResponse.body()));
            assertEquals(completionTokens.get(model).doubleValue(),
                    scrape.sum("unified_tokens_total", "model", model, "type", "completion"), model + " completion tokens");
        }
        assertEquals("openai", scrape.samples("unified_tokens_total", "model", "gpt-4o").get(0).label("provider"));
        assertEquals("anthropic", scrape.samples("unified_tokens_total", "model", "claude-3-haiku").get(0).label("provider"));
    }

    @Test
    void countsCostAsTheSumOfTheResponsesCosts() {
        assertEquals(costs.get("gpt-4o").doubleValue(), scrape.sum("unified_cost_total", "model", "gpt-4o", "provider", "openai"),
                1e-9, "gpt-4o cost\n" + unified(scrapeResponse.body()));
        assertEquals(costs.get("claude-3-haiku").doubleValue(),
                scrape.sum("unified_cost_total", "model", "claude-3-haiku", "provider", "anthropic"), 1e-9, "claude-3-haiku cost");
        assertEquals(costs.values().stream().reduce(BigDecimal.ZERO, BigDecimal::add).doubleValue(),
                scrape.sum("unified_cost_total"), 1e-9, "no cost for failed requests");
    }

    @Test
    void countsErrorsByTypeAndProvider() {
        assertEquals(1.0, scrape.sum("unified_errors_total", "type", "provider_error", "provider", "openai"),
                unified(scrapeResponse.body()));
        assertEquals(1.0, scrape.sum("unified_errors_total", "type", "not_found_error"), "the unknown model");
        assertEquals(2.0, scrape.sum("unified_errors_total"), "successes are not errors");
        assertEquals(0.0, scrape.sum("unified_errors_total", "provider", "anthropic"));
    }

    @Test
    void recordsOneDurationPerRequestInTheHistogram() {
        assertEquals(4.0, scrape.sum(HISTOGRAM + "_count", "model", "gpt-4o", "provider", "openai"));
        assertEquals(2.0, scrape.sum(HISTOGRAM + "_count", "model", "claude-3-haiku", "provider", "anthropic"));
        assertEquals(scrape.sum("unified_requests_total"), scrape.sum(HISTOGRAM + "_count"));
        assertEquals(4.0, scrape.sum(HISTOGRAM + "_bucket", "model", "gpt-4o", "le", "+Inf"), "+Inf bucket = count");
        assertTrue(scrape.sum(HISTOGRAM + "_sum", "model", "gpt-4o") > 0, "durations add up to more than 0 s");
        // Buckets are cumulative: never decreasing with le.
        List<Sample> buckets = scrape.samples(HISTOGRAM + "_bucket", "model", "gpt-4o");
        double previous = -1;
        for (Sample b : buckets.stream().sorted((x, y) -> Double.compare(le(x), le(y))).toList()) {
            assertTrue(b.value() >= previous, "cumulative buckets: " + buckets);
            previous = b.value();
        }
    }

    private static double le(Sample s) {
        return "+Inf".equals(s.label("le")) ? Double.POSITIVE_INFINITY : Double.parseDouble(s.label("le"));
    }

    @Test
    void exposesCacheHitsPerModel() {
        assertEquals(0.0, scrape.sum("unified_cache_hits_total", "model", "gpt-4o", "provider", "openai"),
                "no gateway cache hit in this traffic");
        assertFalse(scrape.samples("unified_cache_hits_total", "model", "claude-3-haiku").isEmpty());
    }

    @Test
    void exposesJvmAndCamelRouteMetrics() {
        assertEquals("gauge", scrape.type("jvm_memory_used_bytes"));
        assertTrue(scrape.sum("jvm_memory_used_bytes") > 0, "JVM memory in use");
        assertFalse(scrape.samples("jvm_threads_live_threads").isEmpty(), "JVM threads");
        assertEquals("counter", scrape.type("camel_exchanges_total"), "Camel route metrics (camel-micrometer)");
        assertTrue(scrape.sum("camel_exchanges_total", "routeId", "chat-completions") >= TRAFFIC,
                "every chat request went through the chat-completions route");
        // The provider and upstream routes run inside the chat route's exchange: left out on purpose.
        assertTrue(scrape.samples("camel_exchanges_total", "routeId", "provider-openai").isEmpty(), "provider routes excluded");
        assertTrue(scrape.samples("camel_exchanges_total", "routeId", "upstream-call").isEmpty(), "upstream-call excluded");
    }

    @Test
    void servesTheSameMetricsUnderApiV1WithoutAKey() throws Exception {
        HttpResponse<String> r = get("/api/v1/metrics");
        assertEquals(200, r.statusCode(), r.body());
        PrometheusText p = PrometheusText.parse(r.body());
        for (String counter : SPEC_COUNTERS) {
            assertEquals("counter", p.type(counter), counter);
        }
        assertEquals("histogram", p.type(HISTOGRAM));
        assertEquals(4.0, p.sum("unified_requests_total", "model", "gpt-4o", "provider", "openai"));
    }

    // ---- ENABLE_METRICS=false -------------------------------------------------------------------------

    @Test
    void disabledMetricsAnswer404InTheSpecsErrorFormat() throws Exception {
        try (RunningGateway off = RunningGateway.start(Map.of("gateway.metrics.enabled", "false"))) {
            String root = off.baseUrl().substring(0, off.baseUrl().indexOf("/api/v1"));
            for (String path : List.of("/metrics", "/api/v1/metrics")) {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(root + path)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(404, r.statusCode(), path + ": " + r.body());
                assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                        path + ": " + r.headers().map());
                JsonNode error = JSON.readTree(r.body()).get("error");
                assertNotNull(error, path + ": " + r.body());
                assertEquals("not_found_error", error.path("type").asText(), r.body());
                assertFalse(error.path("message").asText().isBlank(), r.body());
                assertEquals(r.headers().firstValue("X-Request-Id").orElse("missing"), error.path("request_id").asText(), r.body());
                assertFalse(r.body().contains("unified_requests_total"), "no metrics in the body");
            }
        }
    }
}
