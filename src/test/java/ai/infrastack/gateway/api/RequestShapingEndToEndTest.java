package ai.infrastack.gateway.api;

import ai.infrastack.gateway.support.RunningGateway;
import ai.infrastack.gateway.support.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the gateway changes in a request is visible to the client: a value clamped into the vendor's range is
 * named in {@code X-Gateway-Adjusted-Params}, a value left out in {@code X-Gateway-Dropped-Params}; OpenAI's
 * newer names reach a vendor as its own.
 */
class RequestShapingEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static String database;
    private static RunningGateway gateway;

    @BeforeAll
    static void start() {
        database = TestDatabases.freshH2();
        gateway = RunningGateway.start(java.util.Map.of("gateway.database.url", database));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void a_temperature_clamped_for_anthropic_is_named_as_adjusted() throws Exception {
        HttpResponse<String> r = gateway.post("/chat/completions", "{\"model\":\"claude-3.5-sonnet\",\"temperature\":1.7,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", RunningGateway.MASTER_KEY);

        assertEquals(200, r.statusCode(), r.body());
        assertEquals("temperature", r.headers().firstValue("X-Gateway-Adjusted-Params").orElse(null));
        assertEquals(1.0, JSON.readTree(gateway.sandbox().lastRequest("anthropic").body()).path("temperature").asDouble());
    }

    @Test
    void a_temperature_within_range_is_not_named() {
        HttpResponse<String> r = gateway.post("/chat/completions", "{\"model\":\"claude-3.5-sonnet\",\"temperature\":0.5,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", RunningGateway.MASTER_KEY);

        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("X-Gateway-Adjusted-Params").isEmpty());
    }

    @Test
    void mistral_gets_max_tokens_for_max_completion_tokens_and_store_is_named_as_dropped() throws Exception {
        HttpResponse<String> r = gateway.post("/chat/completions", "{\"model\":\"mistral-large\",\"max_completion_tokens\":3,"
                + "\"store\":false,\"messages\":[{\"role\":\"user\",\"content\":\"one two three four five\"}]}", RunningGateway.MASTER_KEY);

        assertEquals(200, r.statusCode(), r.body());
        assertEquals("length", JSON.readTree(r.body()).path("choices").get(0).path("finish_reason").asText());
        assertEquals("store", r.headers().firstValue("X-Gateway-Dropped-Params").orElse(null));
        JsonNode sent = JSON.readTree(gateway.sandbox().lastRequest("mistral").body());
        assertEquals(3, sent.path("max_tokens").asInt());
        assertFalse(sent.has("max_completion_tokens") || sent.has("store"), sent.toString());
    }

    @Test
    void a_vendor_422_reaches_the_client_with_the_vendors_reason_and_the_field() throws Exception {
        HttpResponse<String> r = gateway.post("/chat/completions", "{\"model\":\"mistral-large\","
                + "\"prediction\":{\"type\":\"content\",\"content\":\"x\",\"extra\":1},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", RunningGateway.MASTER_KEY);

        assertEquals(400, r.statusCode(), r.body());
        JsonNode error = JSON.readTree(r.body()).path("error");
        assertEquals("invalid_request_error", error.path("type").asText());
        assertEquals("prediction.extra", error.path("param").asText(), r.body());
        assertTrue(error.path("message").asText().contains("Extra inputs are not permitted"), r.body());
        assertEquals(422, error.path("upstream_status").asInt(), r.body());
        assertTrue(errorMessageLogged(r.headers().firstValue("X-Request-Id").orElseThrow()).contains("Extra inputs are not permitted"),
                "the request log keeps the vendor's reason too");
    }

    private static String errorMessageLogged(String requestId) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        do {
            try (Connection c = DriverManager.getConnection(database);
                 PreparedStatement ps = c.prepareStatement("SELECT error_message FROM request_log WHERE request_id = ?")) {
                ps.setString(1, requestId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return String.valueOf(rs.getString(1));
                    }
                }
            }
            Thread.sleep(25);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("no request_log row for " + requestId);
    }
}
