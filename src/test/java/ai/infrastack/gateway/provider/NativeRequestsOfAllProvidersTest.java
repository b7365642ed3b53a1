package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.sandbox.RecordedRequest;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Google, Cohere, Mistral and Meta (Together): a client request using every parameter of the spec goes
 * through the running gateway, and the request each (strict) sandbox vendor received is checked in the
 * vendor's own wire format — path, auth header, body — together with the parameters the gateway reports
 * as dropped. A 200 already proves the simulator accepted the translation.
 */
class NativeRequestsOfAllProvidersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOOL_SCHEMA =
            "{\"type\": \"object\", \"properties\": {\"location\": {\"type\": \"string\"}}, \"required\": [\"location\"]}";
    private static RunningGateway gateway;

    @BeforeAll
    static void start() {
        // Every parameter includes routing.enable_caching: the cache off, so each request reaches its vendor.
        gateway = RunningGateway.start(java.util.Map.of("gateway.router.cache-enabled", "false"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    /**
     * Every spec parameter: system + user text + assistant with tool_calls + tool result, sampling,
     * limits, a stop list, tools with the given tool_choice, user, seed, and the gateway's own objects.
     */
    private static String everyParameter(String model, String toolChoice) {
        return """
                {"model": "%s",
                 "messages": [
                   {"role": "system", "content": "You are a weather assistant."},
                   {"role": "user", "content": [{"type": "text", "text": "What is the weather in Paris?"}]},
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
                 "seed": 42,
                 "tools": [{"type": "function", "function": {
                    "name": "get_weather", "description": "Current weather for a location",
                    "parameters": %s}},
                   {"type": "function", "function": {
                    "name": "get_time", "description": "Local time in a city",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
                 "tool_choice": %s,
                 "user": "end-user-42",
                 "routing": {"strategy": "cost", "max_cost_per_1k_tokens": 0.5, "max_latency_ms": 5000,
                             "preferred_providers": ["google", "cohere"], "fallback_models": ["gpt-4o-mini"], "enable_caching": true},
                 "budget": {"max_cost": 0.25, "cost_alert_threshold": 0.2, "tracking_id": "trk-1", "user_id": "u-1", "project_id": "p-1"},
                 "response": {"include_usage": true, "include_cost": true, "include_latency": true, "include_model_info": true}}
                """.formatted(model, TOOL_SCHEMA, toolChoice);
    }

    private static final String NAMED_CHOICE = "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}";

    /** Sends the request and returns the single upstream request it caused. */
    private static Exchange send(String model, String toolChoice, String sandboxFormat) throws IOException {
        gateway.sandbox().clearRecorded();
        HttpResponse<String> reply = gateway.post("/chat/completions", everyParameter(model, toolChoice), RunningGateway.MASTER_KEY);
        assertEquals(200, reply.statusCode(), "the strict sandbox accepted the translated request: " + reply.body());
        List<RecordedRequest> recorded = gateway.sandbox().recorded();
        assertEquals(1, recorded.size(), "exactly one upstream call: " + recorded);
        assertGatewayKeyNeverSent(recorded);
        RecordedRequest upstream = gateway.sandbox().lastRequest(sandboxFormat);
        assertNotNull(upstream, "the " + sandboxFormat + " simulator got the call");
        assertEquals("POST", upstream.method());
        assertTrue(upstream.header("Content-Type").startsWith("application/json"), upstream.header("Content-Type"));
        JsonNode body = upstream.bodyJson();
        assertNotNull(body, upstream.body());
        for (String f : List.of("routing", "budget", "response")) {
            assertFalse(body.has(f), "gateway field '" + f + "' must not reach the vendor: " + body);
        }
        JsonNode response = JSON.readTree(reply.body());
        assertTrue(response.at("/choices/0/message/content").asText().startsWith("Tool result received"),
                "the vendor answered the tool result: " + response);
        assertEquals("stop", response.at("/choices/0/finish_reason").asText());
        return new Exchange(reply, response, upstream, body);
    }

    private record Exchange(HttpResponse<String> reply, JsonNode response, RecordedRequest upstream, JsonNode body) {
        Set<String> dropped() {
            String header = reply.headers().firstValue("X-Gateway-Dropped-Params").orElse("");
            return Arrays.stream(header.split(",")).map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
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
            assertTrue(r.query() == null || !r.query().contains(RunningGateway.MASTER_KEY), "nor in the query of " + r.path());
        }
    }

    private static void assertBearer(RecordedRequest upstream) {
        String auth = upstream.header("Authorization");
        assertNotNull(auth, "authenticates with Authorization: Bearer");
        assertTrue(auth.startsWith("Bearer ") && auth.length() > "Bearer ".length(), auth);
        assertNull(upstream.header("x-api-key"), "no Anthropic auth header");
        assertNull(upstream.header("x-goog-api-key"), "no Google auth header");
        assertNull(upstream.header("anthropic-version"));
    }

    private static List<String> texts(JsonNode array, String field) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.path(field).asText()));
        return out;
    }

    // ---- Google Gemini ----------------------------------------------------------------------------

    @Test
    void gemini_gets_generate_content_with_contents_system_instruction_generation_config_and_function_parts() throws IOException {
        Exchange x = send("gemini-1.5-pro", NAMED_CHOICE, "gemini");
        RecordedRequest upstream = x.upstream();
        JsonNode body = x.body();

        assertEquals("/gemini/v1beta/models/gemini-1.5-pro-002:generateContent", upstream.path(), "the catalog's upstream model in the URL");
        assertTrue(upstream.query() == null || !upstream.query().contains("key="), "the key never goes in the query: " + upstream.query());
        String apiKey = upstream.header("x-goog-api-key");
        assertNotNull(apiKey, "Gemini authenticates with x-goog-api-key");
        assertFalse(apiKey.isBlank());
        assertNull(upstream.header("Authorization"), "no Authorization header to Gemini");
        assertNull(upstream.header("x-api-key"));

        assertFalse(body.has("model"), "the model is in the URL, not the body");
        for (String openAiOnly : List.of("messages", "temperature", "max_tokens", "top_p", "stop", "seed", "user",
                "tool_choice", "frequency_penalty", "presence_penalty")) {
            assertFalse(body.has(openAiOnly), openAiOnly + " is not a top-level Gemini field: " + body);
        }
        assertEquals(JSON.readTree("{\"parts\": [{\"text\": \"You are a weather assistant.\"}]}"), body.get("systemInstruction"));

        JsonNode contents = body.get("contents");
        assertEquals(List.of("user", "model", "user"), texts(contents, "role"), "user/model turns, the tool result as a user turn: " + contents);
        assertEquals(JSON.readTree("[{\"text\": \"What is the weather in Paris?\"}]"), contents.get(0).get("parts"));
        JsonNode call = contents.get(1).get("parts").get(0);
        assertEquals(JSON.readTree("{\"name\": \"get_weather\", \"args\": {\"location\": \"Paris\"}}"), call.get("functionCall"));
        JsonNode result = contents.get(2).get("parts").get(0);
        assertEquals("get_weather", result.at("/functionResponse/name").asText(), "the response names the function, not the call id");
        assertTrue(result.at("/functionResponse/response").isObject(), result.toString());
        assertTrue(result.at("/functionResponse/response").toString().contains("18C and sunny"), result.toString());
        for (JsonNode content : contents) {
            for (JsonNode part : content.get("parts")) {
                assertFalse(part.toString().contains("call_weather_1"), "OpenAI call ids are not Gemini fields: " + part);
            }
        }

        JsonNode config = body.get("generationConfig");
        assertNotNull(config, body.toString());
        assertEquals(0.7, config.path("temperature").asDouble());
        assertEquals(0.9, config.path("topP").asDouble());
        assertEquals(300, config.path("maxOutputTokens").asInt());
        assertEquals(JSON.readTree("[\"<<END>>\", \"<<STOP>>\"]"), config.get("stopSequences"));
        assertEquals(0.5, config.path("frequencyPenalty").asDouble());
        assertEquals(0.3, config.path("presencePenalty").asDouble());
        assertEquals(42, config.path("seed").asInt());

        JsonNode declarations = body.at("/tools/0/functionDeclarations");
        assertEquals(List.of("get_weather", "get_time"), texts(declarations, "name"));
        assertEquals("Current weather for a location", declarations.get(0).get("description").asText());
        assertEquals(JSON.readTree(TOOL_SCHEMA), declarations.get(0).get("parameters"));
        assertEquals(JSON.readTree("{\"functionCallingConfig\": {\"mode\": \"ANY\", \"allowedFunctionNames\": [\"get_weather\"]}}"),
                body.get("toolConfig"), "a named tool_choice forces that function");

        assertEquals(Set.of("user"), x.dropped(), "Gemini has no end-user field");
        assertEquals("google", x.response().get("provider").asText());
    }

    @ParameterizedTest(name = "tool_choice {0} -> mode {1}")
    @CsvSource({"'\"auto\"', AUTO", "'\"required\"', ANY", "'\"none\"', NONE"})
    void gemini_maps_each_tool_choice_to_a_function_calling_mode(String toolChoice, String mode) throws IOException {
        JsonNode body = send("gemini-1.5-pro", toolChoice, "gemini").body();
        assertEquals(mode, body.at("/toolConfig/functionCallingConfig/mode").asText(), body.toString());
        assertFalse(body.at("/toolConfig/functionCallingConfig").has("allowedFunctionNames"));
    }

    // ---- Cohere -------------------------------------------------------------------------------------

    @Test
    void cohere_gets_a_v2_chat_request_with_p_stop_sequences_and_the_forced_tool_as_required() throws IOException {
        Exchange x = send("command-r-plus", NAMED_CHOICE, "cohere");
        RecordedRequest upstream = x.upstream();
        JsonNode body = x.body();

        assertEquals("/cohere/v2/chat", upstream.path());
        assertBearer(upstream);

        assertEquals("command-r-plus-08-2024", body.get("model").asText(), "the catalog's dated upstream id");
        assertEquals(0.7, body.path("temperature").asDouble());
        assertEquals(300, body.path("max_tokens").asInt());
        assertEquals(0.9, body.path("p").asDouble(), "top_p is Cohere's p");
        assertEquals(JSON.readTree("[\"<<END>>\", \"<<STOP>>\"]"), body.get("stop_sequences"));
        assertEquals(0.5, body.path("frequency_penalty").asDouble());
        assertEquals(0.3, body.path("presence_penalty").asDouble());
        assertEquals(42, body.path("seed").asInt());
        for (String openAiOnly : List.of("top_p", "stop", "user", "n", "stream_options")) {
            assertFalse(body.has(openAiOnly), openAiOnly + " is not a Cohere v2 field: " + body);
        }

        assertEquals("REQUIRED", body.get("tool_choice").asText(), "Cohere forces a tool with REQUIRED");
        List<String> offered = new ArrayList<>();
        body.get("tools").forEach(t -> offered.add(t.at("/function/name").asText()));
        assertEquals(List.of("get_weather"), offered, "a forced named tool is the only one offered");
        assertEquals(JSON.readTree(TOOL_SCHEMA), body.at("/tools/0/function/parameters"));

        JsonNode messages = body.get("messages");
        assertEquals(List.of("system", "user", "assistant", "tool"), texts(messages, "role"));
        assertEquals("You are a weather assistant.", messages.get(0).get("content").asText());
        JsonNode call = messages.get(2).get("tool_calls").get(0);
        assertEquals("call_weather_1", call.get("id").asText());
        assertEquals("get_weather", call.at("/function/name").asText());
        assertEquals(JSON.readTree("{\"location\": \"Paris\"}"), JSON.readTree(call.at("/function/arguments").asText()));
        assertEquals("call_weather_1", messages.get(3).get("tool_call_id").asText(), "the tool result answers the call by id");
        assertTrue(messages.get(3).get("content").toString().contains("18C and sunny"));

        assertEquals(Set.of("user"), x.dropped(), "Cohere v2 has no end-user field");
        assertEquals("cohere", x.response().get("provider").asText());
    }

    @ParameterizedTest(name = "tool_choice {0} -> {1}")
    @CsvSource({"'\"required\"', REQUIRED", "'\"none\"', NONE", "'\"auto\"', ''"})
    void cohere_tool_choice_is_required_none_or_left_out(String toolChoice, String expected) throws IOException {
        JsonNode body = send("command-r-plus", toolChoice, "cohere").body();
        if (expected == null || expected.isEmpty()) {
            assertFalse(body.has("tool_choice"), "auto is Cohere's default, so tool_choice is omitted: " + body);
        } else {
            assertEquals(expected, body.get("tool_choice").asText());
        }
        assertEquals(2, body.get("tools").size(), "every tool is offered when none is named");
    }

    // ---- Mistral ------------------------------------------------------------------------------------

    @Test
    void mistral_gets_random_seed_and_nine_character_tool_call_ids_consistent_across_the_conversation() throws IOException {
        Exchange x = send("mistral-large", NAMED_CHOICE, "mistral");
        RecordedRequest upstream = x.upstream();
        JsonNode body = x.body();
        JsonNode sent = JSON.readTree(everyParameter("mistral-large", NAMED_CHOICE));

        assertEquals("/mistral/v1/chat/completions", upstream.path());
        assertBearer(upstream);
        assertEquals("mistral-large-2411", body.get("model").asText(), "the catalog's dated upstream id");
        assertEquals(42, body.path("random_seed").asInt(), "seed is Mistral's random_seed");
        assertFalse(body.has("seed"), "Mistral rejects seed");
        assertFalse(body.has("user"), "Mistral rejects user");
        for (String p : List.of("temperature", "max_tokens", "top_p", "frequency_penalty", "presence_penalty", "stop", "tools", "tool_choice")) {
            assertEquals(sent.get(p), body.get(p), "'" + p + "' passes through unchanged");
        }

        JsonNode messages = body.get("messages");
        assertEquals(List.of("system", "user", "assistant", "tool"), texts(messages, "role"));
        String callId = messages.get(2).at("/tool_calls/0/id").asText();
        assertTrue(callId.matches("[A-Za-z0-9]{9}"), "Mistral tool-call ids are nine letters or digits: " + callId);
        assertEquals(callId, messages.get(3).get("tool_call_id").asText(), "the tool result keeps answering the same call");
        assertEquals("get_weather", messages.get(2).at("/tool_calls/0/function/name").asText());
        for (JsonNode m : messages) {
            for (JsonNode c : m.path("tool_calls")) {
                assertTrue(c.get("id").asText().matches("[A-Za-z0-9]{9}"), c.toString());
            }
            if (m.has("tool_call_id")) {
                assertTrue(m.get("tool_call_id").asText().matches("[A-Za-z0-9]{9}"), m.toString());
            }
        }

        // The same client id maps to the same Mistral id in a later request.
        String again = send("mistral-large", NAMED_CHOICE, "mistral").body().at("/messages/2/tool_calls/0/id").asText();
        assertEquals(callId, again, "the id mapping is deterministic across requests");

        assertEquals(Set.of("user"), x.dropped(), "what Mistral cannot take is named");
        assertEquals("mistral", x.response().get("provider").asText());
    }

    @Test
    void mistral_keeps_tool_call_ids_that_already_fit_and_maps_distinct_ids_to_distinct_ids() throws IOException {
        String body = """
                {"model": "mistral-large",
                 "messages": [
                   {"role": "user", "content": "Weather and time in Paris?"},
                   {"role": "assistant", "content": null, "tool_calls": [
                      {"id": "abcDEF123", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}},
                      {"id": "call_two_long_id", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}]},
                   {"role": "tool", "tool_call_id": "abcDEF123", "content": "18C"},
                   {"role": "tool", "tool_call_id": "call_two_long_id", "content": "noon"}]}""";
        gateway.sandbox().clearRecorded();
        HttpResponse<String> r = gateway.post("/chat/completions", body, RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode messages = gateway.sandbox().lastRequest("mistral").bodyJson().get("messages");
        JsonNode calls = messages.get(1).get("tool_calls");
        assertEquals("abcDEF123", calls.get(0).get("id").asText(), "an id that already fits is kept");
        String second = calls.get(1).get("id").asText();
        assertTrue(second.matches("[A-Za-z0-9]{9}"), second);
        assertNotEquals("abcDEF123", second);
        assertEquals("abcDEF123", messages.get(2).get("tool_call_id").asText());
        assertEquals(second, messages.get(3).get("tool_call_id").asText());
    }

    // ---- Meta Llama on Together ----------------------------------------------------------------------

    @Test
    void meta_llama_goes_to_together_with_the_together_model_name_and_every_openai_parameter() throws IOException {
        Exchange x = send("llama-3.1-70b", NAMED_CHOICE, "together");
        RecordedRequest upstream = x.upstream();
        JsonNode body = x.body();
        ObjectNode sent = (ObjectNode) JSON.readTree(everyParameter("llama-3.1-70b", NAMED_CHOICE));

        assertEquals("/together/v1/chat/completions", upstream.path());
        assertBearer(upstream);
        assertEquals("meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo", body.get("model").asText(), "Together's model name");
        for (String p : List.of("messages", "temperature", "max_tokens", "top_p", "frequency_penalty", "presence_penalty",
                "stop", "seed", "tools", "tool_choice", "user")) {
            assertEquals(sent.get(p), body.get(p), "'" + p + "' passes through unchanged");
        }
        assertFalse(body.has("random_seed"), "Mistral's rename is not applied to Together");
        assertEquals(false, body.path("stream").asBoolean(true));

        assertEquals(Set.of(), x.dropped(), "Together takes every parameter");
        assertTrue(x.reply().headers().firstValue("X-Gateway-Dropped-Params").isEmpty());
        assertEquals("meta", x.response().get("provider").asText());
    }
}
