package ai.infrastack.gateway.budget;

import ai.infrastack.gateway.sandbox.SandboxDirectives;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What the budget tests do over real HTTP: make keys and budgets, send chat requests. */
final class BudgetClients {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private BudgetClients() {}

    /** A new key (secret) pinned to a project. */
    static String projectKey(RunningGateway gateway, String projectId) {
        HttpResponse<String> r = gateway.post("/keys", "{\"tier\":\"pro\",\"project_id\":\"" + projectId + "\"}", RunningGateway.MASTER_KEY);
        assertEquals(201, r.statusCode(), r.body());
        return json(r).path("key").asText();
    }

    static JsonNode setBudget(RunningGateway gateway, String body) {
        HttpResponse<String> r = gateway.post("/budgets", body, RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    /** The budget of this project and period, as GET /api/v1/budgets shows it. */
    static JsonNode budgetOf(RunningGateway gateway, String projectId, String period) {
        HttpResponse<String> r = gateway.get("/budgets", RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body());
        for (JsonNode b : json(r).path("data")) {
            if ("project".equals(b.path("scope").asText()) && projectId.equals(b.path("project_id").asText())
                    && period.equals(b.path("period").asText())) {
                return b;
            }
        }
        throw new AssertionError("no budget for project " + projectId + " in " + r.body());
    }

    /** A chat request body; {@code extra} is merged in (e.g. max_tokens, budget, stream). */
    static String chat(String model, String text, String extraJson) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        body.putArray("messages").addObject().put("role", "user").put("content", text);
        try {
            if (extraJson != null) {
                body.setAll((ObjectNode) JSON.readTree(extraJson));
            }
            return JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A streamed request the sandbox parks after its first event until {@code hold} is released. */
    static String heldStream(String model, String hold, String extraJson) {
        return chat(model, "Say something. " + SandboxDirectives.directive("hold", hold) + SandboxDirectives.directive("hold_after", 1),
                extraJson);
    }

    static CompletableFuture<HttpResponse<String>> postAsync(RunningGateway gateway, String body, String key) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                .timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + r.body(), e);
        }
    }
}
