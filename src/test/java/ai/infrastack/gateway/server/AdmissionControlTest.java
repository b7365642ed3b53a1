package ai.infrastack.gateway.server;

import ai.infrastack.gateway.support.PrometheusText;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Above a ceiling, a call is refused at once with 503 gateway_overloaded and Retry-After — nothing
 * queues — and counted; a wait for an upstream connection is bounded the same way and never blames
 * the provider. Slow calls are held in the sandbox with {@code [sandbox:latency=…]}.
 */
class AdmissionControlTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Long enough that the slow calls are surely still in flight when the extra one arrives. */
    private static final int SLOW_MS = 6000;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void above_the_global_ceiling_a_call_is_refused_at_once_and_counted() throws Exception {
        try (RunningGateway gateway = RunningGateway.start(Map.of("gateway.admission.max-in-flight", "2"))) {
            List<CompletableFuture<HttpResponse<String>>> slow = holdInFlight(gateway, "gpt-4o", 2);
            HttpResponse<String> refused = gateway.post("/chat/completions", chat("gpt-4o", "one more"), RunningGateway.MASTER_KEY);
            assertOverloaded(refused);
            // Health is outside the ceiling: it is served whatever the load.
            assertEquals(200, gateway.get("/health", null).statusCode());
            assertEquals(1.0, metrics(gateway).sum("unified_overloaded_total", "limit", "global"));
            for (CompletableFuture<HttpResponse<String>> s : slow) {
                assertEquals(200, s.get().statusCode(), "the calls in flight complete normally");
            }
            assertEquals(200, gateway.post("/chat/completions", chat("gpt-4o", "after"), RunningGateway.MASTER_KEY).statusCode(),
                    "room again once they are done");
        }
    }

    @Test
    void above_the_per_key_ceiling_that_key_is_refused() throws Exception {
        try (RunningGateway gateway = RunningGateway.start(Map.of("gateway.admission.max-in-flight-per-key", "1"))) {
            List<CompletableFuture<HttpResponse<String>>> slow = holdInFlight(gateway, "gpt-4o", 1);
            HttpResponse<String> refused = gateway.post("/chat/completions", chat("gpt-4o", "one more"), RunningGateway.MASTER_KEY);
            assertOverloaded(refused);
            assertEquals(1.0, metrics(gateway).sum("unified_overloaded_total", "limit", "key"));
            assertEquals(200, slow.get(0).get().statusCode());
        }
    }

    @Test
    void a_full_upstream_pool_is_the_gateways_overload_not_a_provider_failure() throws Exception {
        try (RunningGateway gateway = RunningGateway.start(Map.of(
                "gateway.provider.openai.max-connections", "1",
                "camel.component.http.connection-request-timeout", "300"))) {
            List<CompletableFuture<HttpResponse<String>>> slow = holdInFlight(gateway, "gpt-4o", 1);
            HttpResponse<String> refused = gateway.post("/chat/completions", chat("gpt-4o", "no connection left"),
                    RunningGateway.MASTER_KEY);
            assertOverloaded(refused);
            assertEquals(1.0, metrics(gateway).sum("unified_overloaded_total", "limit", "upstream_pool"));
            JsonNode health = JSON.readTree(gateway.get("/health", null).body());
            assertNotEquals("degraded", health.path("providers").path("openai").path("status").asText(),
                    "openai not marked degraded: " + health);
            assertEquals("healthy", health.path("status").asText(), health.toString());
            assertEquals(200, slow.get(0).get().statusCode());
        }
    }

    private static void assertOverloaded(HttpResponse<String> r) throws Exception {
        assertEquals(503, r.statusCode(), r.body());
        JsonNode err = JSON.readTree(r.body()).path("error");
        assertEquals("gateway_overloaded", err.path("code").asText(), r.body());
        assertEquals("server_error", err.path("type").asText());
        assertTrue(err.path("request_id").asText().startsWith("req_"), r.body());
        assertTrue(r.headers().firstValue("Retry-After").isPresent(), "Retry-After: " + r.headers().map());
    }

    /** Starts {@code n} slow calls and returns once the gateway counts them in flight. */
    private List<CompletableFuture<HttpResponse<String>>> holdInFlight(RunningGateway gateway, String model, int n)
            throws Exception {
        double before = metrics(gateway).sum("unified_in_flight_requests");
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                    .timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + RunningGateway.MASTER_KEY)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(chat(model, "slow " + i + " [sandbox:latency=" + SLOW_MS + "]")))
                    .build();
            calls.add(http.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (metrics(gateway).sum("unified_in_flight_requests") < before + n) {
            assertTrue(System.nanoTime() < deadline, "the slow calls never showed as in flight");
            Thread.sleep(20);
        }
        // In flight at the gateway; give them a moment to reach the upstream call itself.
        Thread.sleep(300);
        return calls;
    }

    private PrometheusText metrics(RunningGateway gateway) throws Exception {
        String root = gateway.baseUrl().substring(0, gateway.baseUrl().indexOf("/api/v1"));
        return PrometheusText.parse(http.send(HttpRequest.newBuilder(URI.create(root + "/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private static String chat(String model, String content) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
    }
}
