package ai.infrastack.gateway.batch;

import ai.infrastack.gateway.sandbox.SandboxUpstreams;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Building batch bodies and waiting on batches and sandbox holds, shared by the batch tests. */
final class Batches {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Three providers, each through its own wire format. */
    static final String[] MODELS = {"gpt-4o-mini", "claude-3-haiku", "gemini-1.5-flash"};
    static final String[] PROVIDERS = {"openai", "anthropic", "google"};

    private Batches() {}

    /** A batch of {@code n} items over the three providers, custom_id item-i, content from {@code content}. */
    static ObjectNode body(int n, int maxConcurrent, IntFunction<String> content) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode requests = body.putArray("requests");
        for (int i = 0; i < n; i++) {
            ObjectNode r = requests.addObject();
            r.put("custom_id", "item-" + i);
            r.put("model", MODELS[i % MODELS.length]);
            r.putArray("messages").addObject().put("role", "user").put("content", content.apply(i));
        }
        body.put("max_concurrent_requests", maxConcurrent);
        body.put("return_individual_costs", true);
        return body;
    }

    static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(json, e);
        }
    }

    /** Waits (polling) until the batch has finished; returns its last GET body. */
    static JsonNode awaitFinished(Supplier<String> get, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode batch = null;
        while (System.nanoTime() < deadline) {
            batch = read(get.get());
            if (!batch.path("completed_at").isNull() && batch.has("results")) {
                return batch;
            }
            pause();
        }
        fail("batch did not finish: " + batch);
        return null;
    }

    /** Waits until {@code n} answers are parked in the sandbox under {@code hold}. */
    static void awaitHeld(SandboxUpstreams sandbox, String hold, int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (sandbox.held(hold) < n) {
            if (System.nanoTime() > deadline) {
                fail(sandbox.held(hold) + " of " + n + " answers held under " + hold);
            }
            pause();
        }
    }

    static BigDecimal sumOfItemCosts(JsonNode batch) {
        BigDecimal sum = BigDecimal.ZERO;
        for (JsonNode r : batch.path("results")) {
            sum = sum.add(r.path("cost").decimalValue());
        }
        return sum;
    }

    static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
