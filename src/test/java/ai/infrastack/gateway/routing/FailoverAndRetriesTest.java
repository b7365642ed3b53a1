package ai.infrastack.gateway.routing;

import ai.infrastack.gateway.sandbox.RecordedRequest;
import ai.infrastack.gateway.support.RunningGateway;
import ai.infrastack.gateway.support.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resilience of provider calls over real HTTP against sandbox upstreams told to fail: failover to
 * fallback_models, retries of network errors, a 429 waited out, a 400 never retried, a timeout
 * failed over, streams that fail before (failed over) or after (not) their first content. Each test
 * fails a provider of its own, so the circuit breakers of one test never count another's calls.
 */
class FailoverAndRetriesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static RunningGateway gateway;
    private static String database;

    @BeforeAll
    static void start() {
        database = TestDatabases.freshH2();
        gateway = RunningGateway.start(Map.of(
                "gateway.database.url", database,
                "camel.component.http.response-timeout", "1500",
                "gateway.retry.backoff-initial-ms", "20"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void a_provider_that_fails_is_answered_by_the_fallback_model() throws Exception {
        String nonce = nonce();
        JsonNode body = ok(chat("gemini-2.0-flash", nonce + " [sandbox:status@gemini=503]", "claude-3-haiku"));
        assertEquals("anthropic", body.get("provider").asText());
        JsonNode routing = body.get("routing");
        assertTrue(routing.get("fallback_used").asBoolean());
        assertEquals("claude-3-haiku", routing.get("selected_model").asText());
        assertEquals(List.of("gemini-2.0-flash", "claude-3-haiku"), ids(routing.get("considered_models")));
        assertEquals(1, calls("gemini", nonce));
        assertEquals(1, calls("anthropic", nonce));

        // The request log keeps both attempts; only the answering model is charged.
        JsonNode row = awaitRow("gemini-2.0-flash"); // the only request of this class to that model
        assertTrue(row.get("fallback_used").asBoolean());
        assertEquals("claude-3-haiku", row.get("served_model").asText());
        assertEquals(0, body.get("cost").get("total_cost").decimalValue().compareTo(row.get("total_cost").decimalValue()));
        JsonNode attempts = JSON.readTree(row.get("attempts").asText());
        assertEquals(2, attempts.size(), attempts.toString());
        assertEquals("google", attempts.get(0).get("provider").asText());
        assertEquals("upstream_error", attempts.get(0).get("outcome").asText());
        assertEquals(503, attempts.get(0).get("status").asInt());
        assertEquals(2, attempts.get(1).get("attempt").asInt());
        assertEquals("anthropic", attempts.get(1).get("provider").asText());
        assertEquals("ok", attempts.get(1).get("outcome").asText());
    }

    private static JsonNode awaitRow(String firstModel) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        do {
            try (Connection c = DriverManager.getConnection(database);
                 PreparedStatement ps = c.prepareStatement(
                         "SELECT served_model, total_cost, fallback_used, attempts FROM request_log WHERE requested_model = ?")) {
                ps.setString(1, firstModel);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return JSON.createObjectNode().put("served_model", rs.getString(1)).put("total_cost", rs.getBigDecimal(2))
                                .put("fallback_used", rs.getBoolean(3)).put("attempts", rs.getString(4));
                    }
                }
            }
            Thread.sleep(25);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("no request_log row for " + firstModel);
    }

    @Test
    void network_errors_are_retried_on_the_same_provider() throws Exception {
        String nonce = nonce();
        JsonNode body = ok(chat("command-r", nonce + " [sandbox:drop@cohere=true][sandbox:times@cohere=2]", "claude-3-haiku"));
        assertEquals("cohere", body.get("provider").asText());
        assertFalse(body.get("routing").get("fallback_used").asBoolean());
        assertEquals(3, calls("cohere", nonce));
        assertEquals(0, calls("anthropic", nonce));
    }

    @Test
    void a_429_with_retry_after_is_retried_after_that_wait() throws Exception {
        String nonce = nonce();
        JsonNode body = ok(chat("llama-3.1-8b", nonce + " [sandbox:status@together=429][sandbox:retry_after=1][sandbox:times@together=1]",
                "claude-3-haiku"));
        assertEquals("meta", body.get("provider").asText());
        List<RecordedRequest> tries = recorded("together", nonce);
        assertEquals(2, tries.size());
        Duration gap = Duration.between(tries.get(0).receivedAt(), tries.get(1).receivedAt());
        assertTrue(gap.toMillis() >= 900, "the retry waited for Retry-After: " + gap);
        assertEquals(0, calls("anthropic", nonce));
    }

    @Test
    void a_429_asking_for_a_wait_beyond_the_bound_fails_over_at_once() throws Exception {
        String nonce = nonce();
        JsonNode body = ok(chat("command-r", nonce + " [sandbox:status@cohere=429][sandbox:retry_after=60]", "claude-3-haiku"));
        assertEquals("anthropic", body.get("provider").asText());
        assertTrue(body.get("routing").get("fallback_used").asBoolean());
        assertEquals(1, calls("cohere", nonce));
    }

    @Test
    void a_400_from_upstream_is_neither_retried_nor_failed_over() throws Exception {
        String nonce = nonce();
        HttpResponse<String> r = gateway.post("/chat/completions", chat("gpt-4o-mini", nonce + " [sandbox:status@openai=400]",
                "claude-3-haiku"), RunningGateway.MASTER_KEY);
        assertEquals(400, r.statusCode(), r.body());
        assertEquals(1, calls("openai", nonce));
        assertEquals(0, calls("anthropic", nonce));
    }

    @Test
    void a_timeout_fails_over_within_the_configured_bound() throws Exception {
        String nonce = nonce();
        JsonNode body = ok(chat("mistral-small", nonce + " [sandbox:latency@mistral=8000]", "claude-3-haiku"));
        assertEquals("anthropic", body.get("provider").asText());
        assertTrue(body.get("routing").get("fallback_used").asBoolean());
        assertEquals(1, calls("mistral", nonce));
    }

    @Test
    void a_stream_that_fails_before_its_first_content_fails_over() throws Exception {
        String nonce = nonce();
        ObjectNode request = (ObjectNode) JSON.readTree(chat("claude-3.5-sonnet", nonce + " [sandbox:fail_after@anthropic=1]", "gpt-4.1-nano"));
        request.put("stream", true);
        HttpResponse<String> r = gateway.post("/chat/completions", request.toString(), RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"fallback_used\":true"), r.body());
        assertTrue(r.body().trim().endsWith("data: [DONE]"), r.body());
        assertEquals(1, calls("anthropic", nonce));
        assertEquals(1, calls("openai", nonce));
    }

    @Test
    void a_stream_that_fails_after_content_is_not_retried() throws Exception {
        String nonce = nonce();
        ObjectNode request = (ObjectNode) JSON.readTree(chat("claude-3.5-sonnet", nonce + " [sandbox:fail_after@anthropic=5]", "gpt-4.1-nano"));
        request.put("stream", true);
        HttpResponse<String> r = gateway.post("/chat/completions", request.toString(), RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("\"error\""), r.body());
        assertFalse(r.body().contains("[DONE]"), r.body());
        assertEquals(1, calls("anthropic", nonce));
        assertEquals(0, calls("openai", nonce));
    }

    static String chat(String model, String text, String... fallbacks) throws Exception {
        ObjectNode body = JSON.createObjectNode().put("model", model);
        body.putArray("messages").addObject().put("role", "user").put("content", text);
        ObjectNode routing = body.putObject("routing");
        for (String f : fallbacks) {
            routing.withArray("fallback_models").add(f);
        }
        body.putObject("response").put("include_model_info", true);
        return body.toString();
    }

    private static JsonNode ok(String body) throws Exception {
        HttpResponse<String> r = gateway.post("/chat/completions", body, RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    static String nonce() {
        return "n-" + UUID.randomUUID();
    }

    private static List<RecordedRequest> recorded(String vendor, String nonce) {
        return gateway.sandbox().recorded().stream().filter(q -> q.format().equals(vendor) && q.body().contains(nonce)).toList();
    }

    private static long calls(String vendor, String nonce) {
        return recorded(vendor, nonce).size();
    }

    private static List<String> ids(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }
}
