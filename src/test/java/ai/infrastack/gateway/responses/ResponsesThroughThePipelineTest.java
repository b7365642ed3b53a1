package ai.infrastack.gateway.responses;

import ai.infrastack.gateway.storage.Database;
import ai.infrastack.gateway.support.RunningGateway;
import ai.infrastack.gateway.support.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Responses API has no path of its own (real HTTP, real PostgreSQL): a key's model restriction applies, each
 * call is in the request log with its tokens and cost like a chat call, and stored responses are the caller's
 * project's — another project's key neither reads nor continues them, a key of the same project does.
 */
class ResponsesThroughThePipelineTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY_A = "sk-test-responses-proj-a-0001";
    private static final String KEY_A2 = "sk-test-responses-proj-a-0002";
    private static final String KEY_B = "sk-test-responses-proj-b-0001";
    private static final String KEY_MINI = "sk-test-responses-mini-only-01";
    private static Path keysFile;
    private static RunningGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        keysFile = Files.createTempFile("responses-keys", ".yaml");
        Files.writeString(keysFile, """
                keys:
                  - {key: %s, tier: pro, project_id: proj_a}
                  - {key: %s, tier: pro, project_id: proj_a}
                  - {key: %s, tier: pro, project_id: proj_b}
                  - {key: %s, tier: pro, allowed_models: [gpt-4o-mini]}
                """.formatted(KEY_A, KEY_A2, KEY_B, KEY_MINI));
        gateway = RunningGateway.start(Map.of("gateway.database.url", TestDatabases.freshPostgres(),
                "gateway.auth.keys-file", keysFile.toString()));
    }

    @AfterAll
    static void stop() throws Exception {
        gateway.close();
        Files.deleteIfExists(keysFile);
    }

    @Test
    void a_stored_response_is_its_projects_alone() throws Exception {
        HttpResponse<String> created = gateway.post("/responses", "{\"model\":\"gpt-4o\",\"input\":\"Project A's secret plan\"}", KEY_A);
        assertEquals(200, created.statusCode(), created.body());
        String id = JSON.readTree(created.body()).path("id").asText();

        assertEquals(404, gateway.get("/responses/" + id, KEY_B).statusCode(), "another project cannot read it");
        assertEquals(404, gateway.delete("/responses/" + id, KEY_B).statusCode(), "nor delete it");
        HttpResponse<String> continued = gateway.post("/responses", "{\"model\":\"gpt-4o\",\"input\":\"Go on\",\"previous_response_id\":\""
                + id + "\"}", KEY_B);
        assertEquals(400, continued.statusCode(), continued.body());
        assertEquals("previous_response_id", JSON.readTree(continued.body()).path("error").path("param").asText());

        assertEquals(200, gateway.get("/responses/" + id, KEY_A2).statusCode(), "a key of the same project can");
        HttpResponse<String> sameProject = gateway.post("/responses", "{\"model\":\"mistral-large\",\"input\":\"Go on\","
                + "\"previous_response_id\":\"" + id + "\"}", KEY_A2);
        assertEquals(200, sameProject.statusCode(), sameProject.body());
        assertTrue(gateway.sandbox().lastRequest("mistral").body().contains("Project A's secret plan"), "the conversation continued");
    }

    @Test
    void a_keys_model_restriction_applies() throws Exception {
        HttpResponse<String> r = gateway.post("/responses", "{\"model\":\"gpt-4o\",\"input\":\"hi\"}", KEY_MINI);
        assertEquals(403, r.statusCode(), r.body());
        assertEquals("permission_error", JSON.readTree(r.body()).path("error").path("type").asText());
        assertEquals(200, gateway.post("/responses", "{\"model\":\"gpt-4o-mini\",\"input\":\"hi\"}", KEY_MINI).statusCode());
    }

    @Test
    void each_call_unary_or_streamed_is_in_the_request_log_with_its_tokens_and_cost() throws Exception {
        for (boolean stream : new boolean[] {false, true}) {
            HttpResponse<String> r = gateway.post("/responses", "{\"model\":\"claude-3.5-sonnet\",\"input\":\"Log me\",\"stream\":"
                    + stream + "}", KEY_A);
            assertEquals(200, r.statusCode(), r.body());
            String requestId = r.headers().firstValue("X-Request-Id").orElseThrow();
            JsonNode response = stream ? ResponsesApiEndToEndTest.events(r.body()).getLast().path("response") : JSON.readTree(r.body());
            try (Connection c = gateway.context().getRegistry().lookupByNameAndType("gatewayDatabase", Database.class)
                    .dataSource().getConnection();
                 PreparedStatement s = c.prepareStatement("SELECT provider, project_id, prompt_tokens, completion_tokens, total_cost,"
                         + " streamed, status FROM request_log WHERE request_id = ?")) {
                s.setString(1, requestId);
                ResultSet row = awaitRow(s);
                assertEquals("anthropic", row.getString("provider"));
                assertEquals("proj_a", row.getString("project_id"));
                assertEquals(response.path("usage").path("input_tokens").asLong(), row.getLong("prompt_tokens"));
                assertEquals(response.path("usage").path("output_tokens").asLong(), row.getLong("completion_tokens"));
                assertEquals(0, response.path("cost").path("total_cost").decimalValue().compareTo(row.getBigDecimal("total_cost")),
                        "the cost on the Response is the cost logged");
                assertTrue(row.getBigDecimal("total_cost").compareTo(BigDecimal.ZERO) > 0);
                assertEquals(stream, row.getBoolean("streamed"));
                assertEquals(200, row.getInt("status"));
            }
        }
    }

    /** The row once the request log's group commit has written it (it flushes every 100 ms). */
    private static ResultSet awaitRow(PreparedStatement s) throws Exception {
        for (int i = 0; i < 100; i++) {
            ResultSet rs = s.executeQuery();
            if (rs.next()) {
                return rs;
            }
            rs.close();
            Thread.sleep(50);
        }
        throw new AssertionError("no request_log row within 5 s");
    }
}
