package ai.infrastack.gateway.routing;

import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A dead provider leaves rotation: after the configured failures its breaker opens, requests are
 * answered by the fallback without calling it (the sandbox's request log proves it), and after
 * the configured wait the breaker half-opens and a call reaches it again. Health reports it down
 * while its breaker is open.
 */
class CircuitBreakerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static RunningGateway gateway;

    @BeforeAll
    static void start() {
        gateway = RunningGateway.start(Map.of(
                "gateway.breaker.window-size", "3",
                "gateway.breaker.minimum-calls", "3",
                "gateway.breaker.open-wait-ms", "1000",
                "gateway.breaker.half-open-calls", "1"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void the_breaker_opens_after_the_configured_failures_and_half_opens_later() throws Exception {
        String dead = " [sandbox:status@mistral=503]";
        for (int i = 0; i < 3; i++) {
            JsonNode body = ok(FailoverAndRetriesTest.chat("mistral-small", "down " + i + dead, "gpt-4o-mini"));
            assertEquals("openai", body.get("provider").asText());
        }
        assertEquals(3, mistralCalls());

        for (int i = 0; i < 4; i++) {
            JsonNode body = ok(FailoverAndRetriesTest.chat("mistral-small", "open " + i + dead, "gpt-4o-mini"));
            assertEquals("openai", body.get("provider").asText());
            assertTrue(body.get("routing").get("fallback_used").asBoolean());
        }
        assertEquals(3, mistralCalls(), "an open breaker keeps calls away from the dead provider");
        JsonNode health = JSON.readTree(gateway.get("/health", null).body());
        assertEquals("down", health.get("providers").get("mistral").get("status").asText(), health.toString());
        assertEquals("degraded", health.get("status").asText());

        // Half-open after the wait (1 s here): the provider has recovered, and a probe reaches it.
        JsonNode answered = null;
        for (int i = 0; i < 50 && (answered == null || !"mistral".equals(answered.get("provider").asText())); i++) {
            Thread.sleep(200);
            answered = ok(FailoverAndRetriesTest.chat("mistral-small", "recovered " + i, "gpt-4o-mini"));
        }
        assertEquals("mistral", answered.get("provider").asText());
        assertEquals(4, mistralCalls());
        JsonNode after = JSON.readTree(gateway.get("/health", null).body()).get("providers").get("mistral");
        assertTrue(!after.get("status").asText().equals("down"), after.toString());
    }

    private static long mistralCalls() {
        return gateway.sandbox().recorded().stream().filter(r -> r.format().equals("mistral")).count();
    }

    private static JsonNode ok(String body) throws Exception {
        HttpResponse<String> r = gateway.post("/chat/completions", body, RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }
}
