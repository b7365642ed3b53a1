package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.sandbox.RecordedRequest;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end over real HTTP: a client request that uses every parameter of the spec goes through
 * the running gateway, and the request the (strict) sandbox vendor received is checked field by
 * field in the vendor's own wire format. A 200 already proves the sandbox accepted the translation.
 */
class NativeUpstreamRequestTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static RunningGateway gateway;

    @BeforeAll
    static void start() {
        gateway = RunningGateway.start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    /**
     * Every spec parameter: system + user (text and image) + assistant with tool_calls + tool result,
     * sampling, limits, stop list, tools with a named tool_choice, user, and the gateway's own objects.
     */
    private static String everyParameter(String model) {
        return """
                {"model": "%s",
                 "messages": [
                   {"role": "system", "content": "You are a weather assistant."},
                   {"role": "user", "content": [
                      {"type": "text", "text": "What is the weather where this photo was taken?"},
                      {"type": "image_url", "image_url": {"url": "https://example.com/paris.jpg"}}]},
                   {"role": "assistant", "content": null, "tool_calls": [
                      {"id": "call_weather_1", "type": "function",
                       "function": {"name": "get_weather", "arguments": "{\\"location\\": \\"Paris\\"}"}}]},
                   {"role": "tool", "tool_call_id": "call_weather_1", "content": "18C and sunny"}],
                 "temperature": 0.7,
                 "max_tokens": 300,
                 "top_p": 0.9,
                 "frequency_penalty": 0.5,
                 "presence_penalty": 0.3,
                 "stop": ["<<END>>", "<<STOP>>"],
                 "tools": [{"type": "function", "function": {
                    "name": "get_weather", "description": "Current weather for a location",
                    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}],
                 "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
                 "user": "end-user-42",
                 "routing": {"strategy": "cost", "max_cost_per_1k_tokens": 0.5, "max_latency_ms": 5000,
                             "preferred_providers": ["openai", "anthropic"], "fallback_models": ["gpt-4o-mini"], "enable_caching": true},
                 "budget": {"max_cost": 0.25, "cost_alert_threshold": 0.2, "tracking_id": "trk-1", "user_id": "u-1", "project_id": "p-1"},
                 "response": {"include_usage": true, "include_cost": true, "include_latency": true, "include_model_info": true}}
                """.formatted(model);
    }

    private static HttpResponse<String> send(String model) {
        HttpResponse<String> r = gateway.post("/chat/completions", everyParameter(model), RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), "the strict sandbox accepted the translated request: " + r.body());
        return r;
    }

    private static void assertNoGatewayFields(JsonNode body) {
        for (String f : List.of("routing", "budget", "response")) {
            assertFalse(body.has(f), "gateway field '" + f + "' must not reach the vendor: " + body);
        }
    }

    private static void assertGatewayKeyNeverSent(List<RecordedRequest> recorded) {
        assertFalse(recorded.isEmpty(), "the sandbox recorded the upstream call");
        for (RecordedRequest r : recorded) {
            for (Map.Entry<String, List<String>> h : r.headers().entrySet()) {
                for (String v : h.getValue()) {
                    assertFalse(v.contains(RunningGateway.MASTER_KEY),
                            "the client's gateway key leaked upstream in header " + h.getKey() + " of " + r.path());
                }
            }
            assertFalse(r.body().contains(RunningGateway.MASTER_KEY), "the client's gateway key leaked upstream in the body of " + r.path());
        }
    }

    @Test
    void openai_upstream_gets_a_bearer_request_with_the_openai_params_and_without_gateway_fields() throws IOException {
        gateway.sandbox().clearRecorded();
        HttpResponse<String> reply = send("gpt-4o");
        JsonNode response = JSON.readTree(reply.body());

        assertEquals(1, gateway.sandbox().recorded().size(), "exactly one upstream call");
        RecordedRequest upstream = gateway.sandbox().lastRequest("openai");
        assertNotNull(upstream);
        assertEquals("POST", upstream.method());
        assertEquals("/openai/v1/chat/completions", upstream.path());
        String auth = upstream.header("Authorization");
        assertNotNull(auth, "OpenAI authenticates with Authorization: Bearer");
        assertTrue(auth.startsWith("Bearer ") && auth.length() > "Bearer ".length(), auth);
        assertNull(upstream.header("x-api-key"), "no Anthropic auth header to OpenAI");
        assertNull(upstream.header("anthropic-version"));
        assertTrue(upstream.header("Content-Type").startsWith("application/json"), upstream.header("Content-Type"));

        JsonNode body = upstream.bodyJson();
        assertNotNull(body, upstream.body());
        JsonNode sent = JSON.readTree(everyParameter("gpt-4o"));
        assertEquals("gpt-4o", body.get("model").asText(), "the catalog's upstream name");
        for (String p : List.of("messages", "temperature", "max_tokens", "top_p", "frequency_penalty", "presence_penalty",
                "stop", "tools", "tool_choice", "user")) {
            assertEquals(sent.get(p), body.get(p), "OpenAI parameter '" + p + "' passes through unchanged");
        }
        assertNoGatewayFields(body);
        assertFalse(body.has("max_completion_tokens"), "gpt-4o keeps max_tokens");
        assertEquals(false, body.path("stream").asBoolean(true));

        assertTrue(reply.headers().firstValue("X-Gateway-Dropped-Params").isEmpty(),
                "nothing is dropped for OpenAI: " + reply.headers().firstValue("X-Gateway-Dropped-Params"));
        JsonNode message = response.get("choices").get(0).get("message");
        assertTrue(message.get("content").asText().startsWith("Tool result received"), "answered the tool result: " + response);
        assertEquals("openai", response.get("provider").asText());

        assertGatewayKeyNeverSent(gateway.sandbox().recorded());
    }

    @Test
    void anthropic_upstream_gets_a_native_messages_request_and_the_response_names_the_dropped_params() throws IOException {
        gateway.sandbox().clearRecorded();
        HttpResponse<String> reply = send("claude-3.5-sonnet");
        JsonNode response = JSON.readTree(reply.body());

        assertEquals(1, gateway.sandbox().recorded().size(), "exactly one upstream call");
        RecordedRequest upstream = gateway.sandbox().lastRequest("anthropic");
        assertNotNull(upstream);
        assertEquals("POST", upstream.method());
        assertEquals("/anthropic/v1/messages", upstream.path());
        String apiKey = upstream.header("x-api-key");
        assertNotNull(apiKey, "Anthropic authenticates with x-api-key");
        assertFalse(apiKey.isBlank());
        assertEquals("2023-06-01", upstream.header("anthropic-version"));
        assertNull(upstream.header("Authorization"), "no Authorization header to Anthropic");

        JsonNode body = upstream.bodyJson();
        assertNotNull(body, upstream.body());
        assertEquals("claude-3-5-sonnet-20241022", body.get("model").asText(), "the catalog's upstream snapshot");
        assertEquals("You are a weather assistant.", body.get("system").asText());
        assertEquals(300, body.get("max_tokens").asInt());
        assertEquals(0.7, body.get("temperature").asDouble());
        assertFalse(body.has("top_p"), "top_p dropped because temperature is set");
        assertEquals(JSON.readTree("[\"<<END>>\", \"<<STOP>>\"]"), body.get("stop_sequences"));
        assertEquals(JSON.readTree("{\"user_id\": \"end-user-42\"}"), body.get("metadata"));
        assertEquals(JSON.readTree("{\"type\": \"tool\", \"name\": \"get_weather\"}"), body.get("tool_choice"));
        JsonNode tool = body.get("tools").get(0);
        assertEquals("get_weather", tool.get("name").asText());
        assertEquals("Current weather for a location", tool.get("description").asText());
        assertEquals(JSON.readTree("{\"type\": \"object\", \"properties\": {\"location\": {\"type\": \"string\"}}, \"required\": [\"location\"]}"),
                tool.get("input_schema"));
        assertFalse(tool.has("function") || tool.has("parameters"), tool.toString());
        for (String openAiOnly : List.of("stop", "user", "frequency_penalty", "presence_penalty", "tool_calls")) {
            assertFalse(body.has(openAiOnly), openAiOnly + " is not an Anthropic field");
        }
        assertNoGatewayFields(body);

        JsonNode messages = body.get("messages");
        assertEquals(3, messages.size(), messages.toString());
        assertEquals(List.of("user", "assistant", "user"),
                List.of(messages.get(0).get("role").asText(), messages.get(1).get("role").asText(), messages.get(2).get("role").asText()));
        JsonNode userBlocks = messages.get(0).get("content");
        assertEquals("text", userBlocks.get(0).get("type").asText());
        assertEquals(JSON.readTree("{\"type\": \"image\", \"source\": {\"type\": \"url\", \"url\": \"https://example.com/paris.jpg\"}}"),
                userBlocks.get(1));
        assertEquals(JSON.readTree("[{\"type\": \"tool_use\", \"id\": \"call_weather_1\", \"name\": \"get_weather\", \"input\": {\"location\": \"Paris\"}}]"),
                messages.get(1).get("content"));
        assertEquals(JSON.readTree("[{\"type\": \"tool_result\", \"tool_use_id\": \"call_weather_1\", \"content\": \"18C and sunny\"}]"),
                messages.get(2).get("content"));

        String droppedHeader = reply.headers().firstValue("X-Gateway-Dropped-Params").orElse(null);
        assertNotNull(droppedHeader, "the client is told which parameters were not sent");
        Set<String> dropped = Arrays.stream(droppedHeader.split(",")).map(String::trim).collect(Collectors.toSet());
        assertEquals(Set.of("top_p", "frequency_penalty", "presence_penalty"), dropped, droppedHeader);

        JsonNode choice = response.get("choices").get(0);
        assertTrue(choice.get("message").get("content").asText().startsWith("Tool result received: 18C and sunny"), response.toString());
        assertEquals("stop", choice.get("finish_reason").asText());
        assertEquals("anthropic", response.get("provider").asText());

        assertGatewayKeyNeverSent(gateway.sandbox().recorded());
    }

    @Test
    void anthropic_tool_call_reply_comes_back_as_openai_tool_calls_with_the_text_preamble() throws IOException {
        gateway.sandbox().clearRecorded();
        String body = """
                {"model": "claude-3.5-sonnet",
                 "messages": [{"role": "user", "content": "Weather in Paris?"}],
                 "tools": [{"type": "function", "function": {"name": "get_weather",
                    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}],
                 "tool_choice": "required", "parallel_tool_calls": false}""";
        HttpResponse<String> r = gateway.post("/chat/completions", body, RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body());

        JsonNode sent = gateway.sandbox().lastRequest("anthropic").bodyJson();
        assertEquals(JSON.readTree("{\"type\": \"any\", \"disable_parallel_tool_use\": true}"), sent.get("tool_choice"));
        assertEquals(8192, sent.get("max_tokens").asInt(), "the catalog default when the client sends none");
        assertFalse(sent.has("parallel_tool_calls"));

        JsonNode choice = JSON.readTree(r.body()).get("choices").get(0);
        assertEquals("tool_calls", choice.get("finish_reason").asText());
        JsonNode message = choice.get("message");
        assertEquals("Let me check.", message.get("content").asText(), "Anthropic's text preamble is kept");
        JsonNode call = message.get("tool_calls").get(0);
        assertEquals("function", call.get("type").asText());
        assertEquals("get_weather", call.get("function").get("name").asText());
        assertTrue(call.get("id").asText().startsWith("toolu_"), call.toString());
        JsonNode arguments = JSON.readTree(call.get("function").get("arguments").asText());
        assertTrue(arguments.isObject() && arguments.has("location"), arguments.toString());
        assertTrue(r.headers().firstValue("X-Gateway-Dropped-Params").isEmpty());

        assertGatewayKeyNeverSent(gateway.sandbox().recorded());
    }
}
