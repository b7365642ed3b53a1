package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The sandbox's Mistral is as strict as the real API: any field its schema does not know, at any depth, is a
 * 422 {@code extra_forbidden} naming its {@code loc}, all of them in one answer — so a gateway that forwards what
 * a client replays (OpenAI's {@code refusal}, {@code annotations}) or OpenAI's newer names fails here too.
 */
class MistralStrictFieldsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static SandboxUpstreams sandbox;
    private static HttpClient client;

    @BeforeAll
    static void start() {
        sandbox = SandboxUpstreams.start(0);
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() {
        sandbox.close();
    }

    @Test
    void every_unknown_field_at_every_depth_is_reported_with_its_loc() throws Exception {
        HttpResponse<String> r = mistral("""
                {"model":"mistral-large-2411","store":false,"max_completion_tokens":5,
                 "messages":[
                   {"role":"user","name":"ada","content":[{"type":"text","text":"weather?","cache_control":{"type":"ephemeral"}}]},
                   {"role":"assistant","content":null,"refusal":null,"annotations":[],
                    "tool_calls":[{"id":"abcDEF123","type":"function","function":{"name":"get_weather","arguments":"{}","strict":true}}]},
                   {"role":"tool","tool_call_id":"abcDEF123","content":"18 degrees"}],
                 "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{}},"x":1}}],
                 "response_format":{"type":"json_schema","json_schema":{"name":"n","schema":{},"extra":true}}}""");

        assertEquals(422, r.statusCode(), r.body());
        JsonNode body = JSON.readTree(r.body());
        assertEquals("error", body.path("object").asText());
        assertEquals("invalid_request_error", body.path("type").asText());
        List<String> locs = new ArrayList<>();
        for (JsonNode detail : body.path("message").path("detail")) {
            assertEquals("extra_forbidden", detail.path("type").asText());
            assertEquals("Extra inputs are not permitted", detail.path("msg").asText());
            locs.add(detail.path("loc").toString());
        }
        assertEquals(List.of(
                "[\"body\",\"store\"]",
                "[\"body\",\"max_completion_tokens\"]",
                "[\"body\",\"messages\",0,\"user\",\"name\"]",
                "[\"body\",\"messages\",0,\"user\",\"content\",0,\"text\",\"cache_control\"]",
                "[\"body\",\"messages\",1,\"assistant\",\"refusal\"]",
                "[\"body\",\"messages\",1,\"assistant\",\"annotations\"]",
                "[\"body\",\"messages\",1,\"assistant\",\"tool_calls\",0,\"function\",\"strict\"]",
                "[\"body\",\"tools\",0,\"function\",\"x\"]",
                "[\"body\",\"response_format\",\"json_schema\",\"extra\"]"), locs);
    }

    @Test
    void the_fields_mistral_knows_are_accepted_at_every_depth() throws Exception {
        HttpResponse<String> r = mistral("""
                {"model":"mistral-large-2411","max_tokens":50,"random_seed":7,"safe_prompt":false,
                 "messages":[
                   {"role":"system","content":"be brief"},
                   {"role":"user","content":[{"type":"text","text":"weather?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AA==","detail":"low"}}]},
                   {"role":"assistant","content":"","tool_calls":[{"id":"abcDEF123","type":"function","index":0,"function":{"name":"get_weather","arguments":"{}"}}]},
                   {"role":"tool","name":"get_weather","tool_call_id":"abcDEF123","content":"18 degrees"}],
                 "tools":[{"type":"function","function":{"name":"get_weather","description":"w","strict":false,"parameters":{"type":"object","properties":{}}}}],
                 "tool_choice":"auto",
                 "response_format":{"type":"json_schema","json_schema":{"name":"n","description":"d","strict":true,"schema":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}}}}""");

        assertEquals(200, r.statusCode(), r.body());
        JsonNode content = JSON.readTree(JSON.readTree(r.body()).path("choices").get(0).path("message").path("content").asText());
        assertEquals("sandbox-a", content.path("a").asText());
    }

    private static HttpResponse<String> mistral(String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(sandbox.baseUrl("mistral") + "/chat/completions"))
                .timeout(Duration.ofSeconds(10))
                .header("content-type", "application/json")
                .header("Authorization", "Bearer ms-test")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
