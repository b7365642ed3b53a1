package ai.infrastack.gateway.routing;

import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The speed strategy follows latencies observed live: with a key limited to two models, the one
 * whose provider the sandbox slows down loses the first place, and wins it back when the other
 * one is slowed more. Only the ordering is asserted, never a duration.
 */
class SpeedStrategyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static RunningGateway gateway;
    private static String key;

    @BeforeAll
    static void start() throws Exception {
        gateway = RunningGateway.start();
        ObjectNode newKey = JSON.createObjectNode().put("name", "speed");
        newKey.putArray("allowed_models").add("gpt-4o-mini").add("claude-3-haiku");
        HttpResponse<String> r = gateway.post("/keys", newKey.toString(), RunningGateway.MASTER_KEY);
        assertEquals(201, r.statusCode(), r.body());
        key = JSON.readTree(r.body()).get("key").asText();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void speed_follows_the_latencies_observed_when_the_sandbox_slows_one_provider() throws Exception {
        warm("gpt-4o-mini", "[sandbox:latency@openai=300]");
        warm("claude-3-haiku", "");
        assertEquals("claude-3-haiku", fastest());

        warm("claude-3-haiku", "[sandbox:latency@anthropic=300]");
        warm("gpt-4o-mini", "");
        assertEquals("gpt-4o-mini", fastest());
    }

    /** Enough calls to move the model's observed median (over its last 20 calls) to these. */
    private static void warm(String model, String directive) throws Exception {
        for (int i = 0; i < 11; i++) {
            ObjectNode body = JSON.createObjectNode().put("model", model);
            body.putArray("messages").addObject().put("role", "user").put("content", "warm " + i + " " + directive);
            HttpResponse<String> r = gateway.post("/chat/completions", body.toString(), key);
            assertEquals(200, r.statusCode(), r.body());
        }
    }

    private static String fastest() throws Exception {
        ObjectNode body = JSON.createObjectNode().put("model", "auto");
        body.putArray("messages").addObject().put("role", "user").put("content", "which is fastest?");
        body.putObject("routing").put("strategy", "speed");
        body.putObject("response").put("include_model_info", true);
        HttpResponse<String> r = gateway.post("/chat/completions", body.toString(), key);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode routing = JSON.readTree(r.body()).get("routing");
        assertEquals(2, routing.get("considered_models").size(), routing.toString());
        return routing.get("selected_model").asText();
    }
}
