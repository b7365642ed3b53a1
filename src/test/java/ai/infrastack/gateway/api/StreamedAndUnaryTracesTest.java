package ai.infrastack.gateway.api;

import ai.infrastack.gateway.support.PrometheusText;
import ai.infrastack.gateway.support.ProviderMatrix;
import ai.infrastack.gateway.support.RunningGateway;
import ai.infrastack.gateway.support.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A streamed and a unary call of the same model leave the same traces — one request-log row each
 * with the same status, tokens and cost, the same metric increments, and the provider's health —
 * because both answers leave through the same steps of the chat route.
 */
class StreamedAndUnaryTracesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static String database;
    private static RunningGateway gateway;

    @BeforeAll
    static void start() {
        database = TestDatabases.freshH2();
        gateway = RunningGateway.start(Map.of("gateway.database.url", database));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    static List<ProviderMatrix.Entry> providers() {
        return ProviderMatrix.entries();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void a_streamed_and_a_unary_call_leave_the_same_row_metrics_and_health(ProviderMatrix.Entry p) throws Exception {
        String question = "Explain the water cycle to " + p.provider();

        PrometheusText before = metrics();
        HttpResponse<String> streamed = gateway.post("/chat/completions", body(p.model(), question, true), RunningGateway.MASTER_KEY);
        assertEquals(200, streamed.statusCode(), streamed.body());
        assertTrue(streamed.body().contains("data: [DONE]"), streamed.body());
        JsonNode streamedRow = awaitRow(streamed.headers().firstValue("X-Request-Id").orElseThrow());
        PrometheusText afterStream = awaitMetrics(before, p);
        JsonNode health = JSON.readTree(gateway.get("/health", null).body()).path("providers").path(p.provider());
        assertEquals("healthy", health.path("status").asText(), "a streamed call alone makes the provider known: " + health);
        assertTrue(health.path("latency_ms").isNumber(), health.toString());

        HttpResponse<String> unary = gateway.post("/chat/completions", body(p.model(), question, false), RunningGateway.MASTER_KEY);
        assertEquals(200, unary.statusCode(), unary.body());
        JsonNode unaryRow = awaitRow(unary.headers().firstValue("X-Request-Id").orElseThrow());
        PrometheusText afterUnary = awaitMetrics(afterStream, p);

        for (String column : List.of("status", "error_type", "provider", "served_model", "prompt_tokens", "completion_tokens",
                "input_cost", "output_cost", "total_cost")) {
            assertEquals(unaryRow.get(column), streamedRow.get(column), column + ": unary " + unaryRow + " vs streamed " + streamedRow);
        }
        assertTrue(streamedRow.get("streamed").asBoolean() && !unaryRow.get("streamed").asBoolean());
        for (String metric : List.of("unified_requests_total", "unified_tokens_total", "unified_cost_total",
                "unified_request_duration_seconds_count")) {
            double byStream = delta(before, afterStream, metric, p);
            double byUnary = delta(afterStream, afterUnary, metric, p);
            assertTrue(byStream > 0, metric + " counted the stream");
            assertEquals(byUnary, byStream, 1e-9, metric + ": unary +" + byUnary + " vs streamed +" + byStream);
        }
    }

    private static String body(String model, String question, boolean stream) {
        ObjectNode body = JSON.createObjectNode().put("model", model).put("stream", stream).put("max_tokens", 100);
        body.putArray("messages").addObject().put("role", "user").put("content", question);
        return body.toString();
    }

    private static PrometheusText metrics() {
        return PrometheusText.parse(gateway.get("/metrics", null).body());
    }

    private static double delta(PrometheusText from, PrometheusText to, String metric, ProviderMatrix.Entry p) {
        return to.sum(metric, "model", p.model(), "provider", p.provider()) - from.sum(metric, "model", p.model(), "provider", p.provider());
    }

    private static JsonNode awaitRow(String requestId) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        do {
            JsonNode row = row(requestId);
            if (row != null) {
                return row;
            }
            Thread.sleep(25);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("no request_log row for " + requestId);
    }

    private static JsonNode row(String requestId) throws Exception {
        try (Connection c = DriverManager.getConnection(database);
             PreparedStatement ps = c.prepareStatement("SELECT status, error_type, provider, served_model, prompt_tokens,"
                     + " completion_tokens, input_cost, output_cost, total_cost, streamed FROM request_log WHERE request_id = ?")) {
            ps.setString(1, requestId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                ObjectNode row = JSON.createObjectNode();
                for (String column : List.of("status", "error_type", "provider", "served_model", "prompt_tokens",
                        "completion_tokens", "input_cost", "output_cost", "total_cost")) {
                    Object v = rs.getObject(column);
                    row.put(column, v == null ? null : v instanceof java.math.BigDecimal d ? d.stripTrailingZeros().toPlainString() : v.toString());
                }
                row.put("streamed", rs.getBoolean("streamed"));
                assertNotNull(row.get("status"));
                return row;
            }
        }
    }

    /**
     * The metrics once the call is counted: the analytics wire-tap records them after the request-log row is
     * queued, so they can lag the row by a moment (up to 5 s allowed).
     */
    private static PrometheusText awaitMetrics(PrometheusText since, ProviderMatrix.Entry p) throws Exception {
        PrometheusText now = metrics();
        for (int i = 0; i < 100 && (delta(since, now, "unified_tokens_total", p) <= 0
                || delta(since, now, "unified_request_duration_seconds_count", p) <= 0); i++) {
            Thread.sleep(50);
            now = metrics();
        }
        return now;
    }
}
