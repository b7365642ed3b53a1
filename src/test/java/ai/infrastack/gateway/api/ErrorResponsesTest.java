package ai.infrastack.gateway.api;

import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every error class of the spec: status, type, code, param and the body's shape, over real HTTP. */
class ErrorResponsesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LIMITED_KEY = "sk-test-limited-key-42";
    private static RunningGateway gateway;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() throws IOException {
        Path keys = tmp.resolve("keys.yaml");
        Files.writeString(keys, """
                keys:
                  - key: %s
                    tier: free
                    user_id: user_1
                    project_id: project_a
                    allowed_models: [gpt-4o-mini]
                """.formatted(LIMITED_KEY));
        gateway = RunningGateway.start(Map.of("gateway.auth.keys-file", keys.toString(), "gateway.http.max-body-bytes", "65536"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static String chat(String model, String userText) {
        return """
                {"model": "%s", "messages": [{"role": "user", "content": "%s"}]}""".formatted(model, userText);
    }

    private static JsonNode error(HttpResponse<String> r, int status, String type) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        JsonNode body = JSON.readTree(r.body());
        JsonNode err = body.get("error");
        assertNotNull(err, r.body());
        assertEquals(type, err.get("type").asText());
        assertFalse(err.get("message").asText().isBlank());
        String requestId = err.get("request_id").asText();
        assertTrue(requestId.startsWith("req_"), requestId);
        assertEquals(requestId, r.headers().firstValue("X-Request-Id").orElse(null), "X-Request-Id header matches the body");
        return err;
    }

    @Test
    void malformed_json_is_invalid_request_error() throws IOException {
        JsonNode err = error(gateway.post("/chat/completions", "{\"model\": \"gpt-4o\", ", RunningGateway.MASTER_KEY), 400, "invalid_request_error");
        assertTrue(err.get("message").asText().contains("not valid JSON"));
    }

    @Test
    void missing_messages_names_the_param() throws IOException {
        JsonNode err = error(gateway.post("/chat/completions", "{\"model\": \"gpt-4o\"}", RunningGateway.MASTER_KEY), 400, "invalid_request_error");
        assertEquals("messages", err.get("param").asText());
    }

    @Test
    void wrong_type_names_the_param() throws IOException {
        String body = "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": \"hot\"}";
        JsonNode err = error(gateway.post("/chat/completions", body, RunningGateway.MASTER_KEY), 400, "invalid_request_error");
        assertEquals("temperature", err.get("param").asText());
    }

    @Test
    void temperature_out_of_range_is_refused_before_any_upstream_call() throws IOException {
        gateway.sandbox().clearRecorded();
        String body = "{\"model\": \"claude-3.5-sonnet\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": 5}";
        JsonNode err = error(gateway.post("/chat/completions", body, RunningGateway.MASTER_KEY), 400, "invalid_request_error");
        assertEquals("temperature", err.get("param").asText());
        assertTrue(gateway.sandbox().recorded().isEmpty(), "no upstream call was made");
    }

    @Test
    void unknown_path_is_not_found_error_in_the_spec_format() throws IOException {
        JsonNode err = error(gateway.get("/no/such/endpoint", RunningGateway.MASTER_KEY), 404, "not_found_error");
        assertEquals("not_found", err.get("code").asText());
    }

    @Test
    void wrong_method_is_invalid_request_error_in_the_spec_format() throws IOException {
        JsonNode err = error(gateway.get("/chat/completions", RunningGateway.MASTER_KEY), 405, "invalid_request_error");
        assertEquals("method_not_allowed", err.get("code").asText());
    }

    @Test
    void missing_key_is_authentication_error() throws IOException {
        error(gateway.post("/chat/completions", chat("gpt-4o", "hi"), null), 401, "authentication_error");
    }

    @Test
    void unknown_key_is_authentication_error() throws IOException {
        JsonNode err = error(gateway.post("/chat/completions", chat("gpt-4o", "hi"), "sk-not-a-key"), 401, "authentication_error");
        assertEquals("invalid_api_key", err.get("code").asText());
    }

    @Test
    void model_outside_the_keys_allowed_models_is_permission_error() throws IOException {
        JsonNode err = error(gateway.post("/chat/completions", chat("gpt-4o", "hi"), LIMITED_KEY), 403, "permission_error");
        assertEquals("model", err.get("param").asText());
        assertEquals(200, gateway.post("/chat/completions", chat("gpt-4o-mini", "hi"), LIMITED_KEY).statusCode());
    }

    @Test
    void unknown_model_is_not_found_error_with_code_and_param() throws IOException {
        JsonNode err = error(gateway.post("/chat/completions", chat("invalid-model", "hi"), RunningGateway.MASTER_KEY), 404, "not_found_error");
        assertEquals("model_not_found", err.get("code").asText());
        assertEquals("model", err.get("param").asText());
        assertTrue(err.get("message").asText().contains("invalid-model"));
    }

    @Test
    void body_over_the_limit_is_413() throws IOException {
        String big = "x".repeat(70_000);
        JsonNode err = error(gateway.post("/chat/completions", chat("gpt-4o", big), RunningGateway.MASTER_KEY), 413, "invalid_request_error");
        assertEquals("request_too_large", err.get("code").asText());
    }

    @Test
    void upstream_429_is_rate_limit_error_naming_the_provider() throws IOException {
        HttpResponse<String> r = gateway.post("/chat/completions", chat("gpt-4o", "[sandbox:status=429]"), RunningGateway.MASTER_KEY);
        JsonNode err = error(r, 429, "rate_limit_error");
        assertEquals("openai", err.get("provider").asText());
        assertEquals(429, err.get("upstream_status").asInt());
    }

    @Test
    void upstream_500_is_502_provider_error_with_the_upstream_message() throws IOException {
        JsonNode err = error(gateway.post("/chat/completions", chat("claude-3-haiku", "[sandbox:status=500]"), RunningGateway.MASTER_KEY),
                502, "provider_error");
        assertEquals("anthropic", err.get("provider").asText());
        assertEquals(500, err.get("upstream_status").asInt());
    }

    @Test
    void upstream_overload_is_503_provider_error() throws IOException {
        JsonNode err = error(gateway.post("/chat/completions", chat("claude-3-haiku", "[sandbox:status=529]"), RunningGateway.MASTER_KEY),
                503, "provider_error");
        assertEquals(529, err.get("upstream_status").asInt());
        assertEquals("overloaded_error", err.get("code").asText());
    }

    @Test
    void upstream_timeout_is_504_provider_error() throws IOException {
        JsonNode err = error(gateway.post("/chat/completions", chat("gpt-4o", "[sandbox:status=504]"), RunningGateway.MASTER_KEY),
                504, "provider_error");
        assertEquals("openai", err.get("provider").asText());
    }

    @Test
    void upstream_dropping_the_connection_is_502_provider_error() throws IOException {
        JsonNode err = error(gateway.post("/chat/completions", chat("gpt-4o", "[sandbox:drop=true]"), RunningGateway.MASTER_KEY),
                502, "provider_error");
        assertEquals("openai", err.get("provider").asText());
    }

    @Test
    void unexpected_failure_is_server_error_without_internal_details() throws Exception {
        var responder = new ErrorResponder(JSON);
        var exchange = new org.apache.camel.support.DefaultExchange(gateway.context());
        exchange.setProperty(ExchangeKeys.REQUEST_ID, "req_test");
        exchange.setProperty(org.apache.camel.Exchange.EXCEPTION_CAUGHT, new IllegalStateException("secret internal detail"));
        responder.process(exchange);
        assertEquals(500, exchange.getMessage().getHeader(org.apache.camel.Exchange.HTTP_RESPONSE_CODE));
        JsonNode err = JSON.readTree(exchange.getMessage().getBody(byte[].class)).get("error");
        assertEquals("server_error", err.get("type").asText());
        assertFalse(err.get("message").asText().contains("secret internal detail"));
        assertNull(err.get("provider"));
    }
}
