package ai.infrastack.gateway.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SandboxUpstreamsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static SandboxUpstreams sandbox;
    private static HttpClient client;

    @BeforeAll
    static void startSandbox() {
        sandbox = SandboxUpstreams.start(0);
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stopSandbox() {
        sandbox.close();
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private static HttpResponse<String> post(String url, Map<String, String> headers, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> openAi(String body) throws Exception {
        return post(sandbox.baseUrl("openai") + "/chat/completions", Map.of("Authorization", "Bearer sk-test-123"), body);
    }

    private static HttpResponse<String> anthropic(String body) throws Exception {
        return post(sandbox.baseUrl("anthropic") + "/v1/messages",
                Map.of("x-api-key", "sk-ant-test", "anthropic-version", "2023-06-01"), body);
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    private static String userMessage(String text) {
        return "{\"role\":\"user\",\"content\":" + quote(text) + "}";
    }

    private static String quote(String text) {
        try {
            return JSON.writeValueAsString(text);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpResponse<String> gemini(String model, String method, String body) throws Exception {
        return post(sandbox.baseUrl("gemini") + "/v1beta/models/" + model + ":" + method,
                Map.of("x-goog-api-key", "AIza-sandbox"), body);
    }

    private static HttpResponse<String> cohere(String body) throws Exception {
        return post(sandbox.baseUrl("cohere") + "/v2/chat", Map.of("Authorization", "Bearer co-test"), body);
    }

    private static HttpResponse<String> mistral(String body) throws Exception {
        return post(sandbox.baseUrl("mistral") + "/chat/completions", Map.of("Authorization", "Bearer ms-test"), body);
    }

    private static HttpResponse<String> together(String body) throws Exception {
        return post(sandbox.baseUrl("together") + "/chat/completions", Map.of("Authorization", "Bearer tg-test"), body);
    }

    private static String geminiUser(String text) {
        return "{\"role\":\"user\",\"parts\":[{\"text\":" + quote(text) + "}]}";
    }

    /** The JSON payloads of {@code data:} frames separated by a blank line with the given line ending. */
    private static List<String> dataFrames(String body, String newline) {
        List<String> data = new ArrayList<>();
        for (String frame : body.split(newline + newline)) {
            assertTrue(frame.startsWith("data: "), frame);
            data.add(frame.substring(6));
        }
        return data;
    }

    private static final String WEATHER_TOOL_SCHEMA = "{\"type\":\"object\",\"properties\":{"
            + "\"city\":{\"type\":\"string\"},\"days\":{\"type\":\"integer\"},\"metric\":{\"type\":\"boolean\"},"
            + "\"note\":{\"type\":\"string\"}},\"required\":[\"city\",\"days\",\"metric\"]}";

    // ---- OpenAI ------------------------------------------------------------------------------------

    @Test
    void openai_plain_reply_echoes_last_user_text_with_word_usage() throws Exception {
        HttpResponse<String> response = openAi("{\"model\":\"gpt-4o-mini\",\"messages\":["
                + "{\"role\":\"system\",\"content\":\"Be brief.\"}," + userMessage("What is the capital of France?") + "]}");

        assertEquals(200, response.statusCode());
        JsonNode body = json(response);
        assertTrue(body.get("id").asText().startsWith("chatcmpl-"));
        assertEquals("chat.completion", body.get("object").asText());
        assertEquals("gpt-4o-mini", body.get("model").asText());
        assertTrue(Math.abs(body.get("created").asLong() - System.currentTimeMillis() / 1000) < 60);
        JsonNode choice = body.get("choices").get(0);
        assertEquals("Sandbox reply from gpt-4o-mini: What is the capital of France?",
                choice.get("message").get("content").asText());
        assertEquals("assistant", choice.get("message").get("role").asText());
        assertEquals("stop", choice.get("finish_reason").asText());
        JsonNode usage = body.get("usage");
        assertEquals(2 + 3 + 6 + 3, usage.get("prompt_tokens").asInt());
        assertEquals(10, usage.get("completion_tokens").asInt());
        assertEquals(24, usage.get("total_tokens").asInt());
        assertEquals(0, usage.get("prompt_tokens_details").get("cached_tokens").asInt());
        assertEquals(0, usage.get("completion_tokens_details").get("reasoning_tokens").asInt());
        assertEquals("2020-10-01", response.headers().firstValue("openai-version").orElseThrow());
        assertTrue(response.headers().firstValue("x-request-id").orElseThrow().startsWith("req_"));
        assertEquals("1", response.headers().firstValue("openai-processing-ms").orElseThrow());
        for (String header : List.of("x-ratelimit-limit-requests", "x-ratelimit-remaining-requests",
                "x-ratelimit-reset-requests", "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens",
                "x-ratelimit-reset-tokens")) {
            assertTrue(response.headers().firstValue(header).isPresent(), header);
        }
    }

    @Test
    void official_openai_sdk_parses_and_validates_the_sandbox_reply() {
        com.openai.client.OpenAIClient sdk = com.openai.client.okhttp.OpenAIOkHttpClient.builder()
                .baseUrl(sandbox.baseUrl("openai")).apiKey("sk-test").maxRetries(0).build();
        try {
            com.openai.models.chat.completions.ChatCompletion completion = sdk.chat().completions().create(
                    com.openai.models.chat.completions.ChatCompletionCreateParams.builder()
                            .model("gpt-4o").addUserMessage("hello there").build());
            completion.validate();
            assertEquals("Sandbox reply from gpt-4o: hello there", completion.choices().get(0).message().content().orElseThrow());
            assertEquals(5L, completion.usage().orElseThrow().promptTokens());
        } finally {
            sdk.close();
        }
    }

    @Test
    void openai_reports_dated_snapshot_for_gpt_4o() throws Exception {
        JsonNode body = json(openAi("{\"model\":\"gpt-4o\",\"messages\":[" + userMessage("hi") + "]}"));
        assertEquals("gpt-4o-2024-08-06", body.get("model").asText());
    }

    @Test
    void openai_cached_tokens_are_included_in_prompt_tokens_and_reasoning_in_completion() throws Exception {
        JsonNode usage = json(openAi("{\"model\":\"gpt-4o\",\"messages\":["
                + userMessage("hello [sandbox:cached=1024] [sandbox:reasoning=7]") + "]}")).get("usage");

        assertEquals(1024, usage.get("prompt_tokens").asInt());
        assertEquals(1024, usage.get("prompt_tokens_details").get("cached_tokens").asInt());
        assertEquals(7, usage.get("completion_tokens_details").get("reasoning_tokens").asInt());
        int replyWords = "Sandbox reply from gpt-4o: hello [sandbox:cached=1024] [sandbox:reasoning=7]".split(" ").length;
        assertEquals(replyWords + 7, usage.get("completion_tokens").asInt());
        assertEquals(1024 + replyWords + 7, usage.get("total_tokens").asInt());
    }

    @Test
    void openai_tool_call_fills_required_arguments_from_schema() throws Exception {
        String request = "{\"model\":\"gpt-4o\",\"messages\":[" + userMessage("Weather in Paris?") + "],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"
                + WEATHER_TOOL_SCHEMA + "}}]}";
        HttpResponse<String> response = openAi(request);

        assertEquals(200, response.statusCode(), response.body());
        JsonNode choice = json(response).get("choices").get(0);
        assertEquals("tool_calls", choice.get("finish_reason").asText());
        assertTrue(choice.get("message").get("content").isNull());
        JsonNode call = choice.get("message").get("tool_calls").get(0);
        assertTrue(call.get("id").asText().matches("call_[A-Za-z0-9]{24}"), call.get("id").asText());
        assertEquals("function", call.get("type").asText());
        assertEquals("get_weather", call.get("function").get("name").asText());
        JsonNode arguments = JSON.readTree(call.get("function").get("arguments").asText());
        assertEquals(JSON.readTree("{\"city\":\"sandbox-city\",\"days\":1,\"metric\":true}"), arguments);
        assertEquals(11, json(response).get("usage").get("completion_tokens").asInt());
        // same request, same ids
        assertEquals(call.get("id"), json(openAi(request)).get("choices").get(0).get("message").get("tool_calls").get(0).get("id"));
    }

    @Test
    void openai_tool_result_is_acknowledged_with_text() throws Exception {
        HttpResponse<String> response = openAi("{\"model\":\"gpt-4o\",\"messages\":[" + userMessage("Weather?") + ","
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"Sunny, 21C\"}],"
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{}}}]}");

        assertEquals(200, response.statusCode(), response.body());
        JsonNode choice = json(response).get("choices").get(0);
        assertEquals("Tool result received: Sunny, 21C", choice.get("message").get("content").asText());
        assertEquals("stop", choice.get("finish_reason").asText());
    }

    @Test
    void openai_directives_of_an_earlier_user_turn_do_not_apply_to_tool_results() throws Exception {
        HttpResponse<String> response = openAi("{\"model\":\"gpt-4o\",\"messages\":[" + userMessage("Weather? [sandbox:status=500]") + ","
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"w\",\"arguments\":\"{}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"Sunny\"}]}");
        assertEquals(200, response.statusCode(), response.body());
    }

    @Test
    void openai_rejects_tool_message_without_preceding_tool_calls() throws Exception {
        HttpResponse<String> response = openAi("{\"model\":\"gpt-4o\",\"messages\":[" + userMessage("hi") + ","
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"x\"}]}");
        assertEquals(400, response.statusCode());
        assertTrue(json(response).get("error").get("message").asText().contains("must be a response to a preceeding"));
    }

    @Test
    void openai_honours_max_tokens_and_stop() throws Exception {
        JsonNode capped = json(openAi("{\"model\":\"m\",\"max_tokens\":3,\"messages\":[" + userMessage("one two") + "]}"));
        assertEquals("Sandbox reply from", capped.get("choices").get(0).get("message").get("content").asText());
        assertEquals("length", capped.get("choices").get(0).get("finish_reason").asText());
        assertEquals(3, capped.get("usage").get("completion_tokens").asInt());

        JsonNode stopped = json(openAi("{\"model\":\"m\",\"stop\":[\"two\"],\"messages\":[" + userMessage("one two") + "]}"));
        assertEquals("Sandbox reply from m: one ", stopped.get("choices").get(0).get("message").get("content").asText());
        assertEquals("stop", stopped.get("choices").get(0).get("finish_reason").asText());
    }

    @Test
    void openai_rejects_missing_bearer_token() throws Exception {
        HttpResponse<String> response = post(sandbox.baseUrl("openai") + "/chat/completions", Map.of(),
                "{\"model\":\"gpt-4o\",\"messages\":[" + userMessage("hi") + "]}");

        assertEquals(401, response.statusCode());
        JsonNode error = json(response).get("error");
        assertTrue(error.get("message").asText().startsWith("Incorrect API key provided"));
        assertEquals("invalid_request_error", error.get("type").asText());
        assertTrue(error.get("param").isNull());
        assertEquals("invalid_api_key", error.get("code").asText());
    }

    @Test
    void openai_rejects_temperature_above_two_and_unknown_roles_and_fields() throws Exception {
        HttpResponse<String> hot = openAi("{\"model\":\"gpt-4o\",\"temperature\":2.5,\"messages\":[" + userMessage("hi") + "]}");
        assertEquals(400, hot.statusCode());
        assertEquals("temperature", json(hot).get("error").get("param").asText());
        assertEquals("decimal_above_max_value", json(hot).get("error").get("code").asText());

        HttpResponse<String> role = openAi("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"model\",\"content\":\"x\"}]}");
        assertEquals(400, role.statusCode());
        assertEquals("messages[0].role", json(role).get("error").get("param").asText());

        HttpResponse<String> extra = openAi("{\"model\":\"gpt-4o\",\"top_k\":5,\"messages\":[" + userMessage("hi") + "]}");
        assertEquals(400, extra.statusCode());
        assertEquals("Unrecognized request argument supplied: top_k", json(extra).get("error").get("message").asText());

        HttpResponse<String> empty = openAi("{\"model\":\"gpt-4o\",\"messages\":[]}");
        assertEquals(400, empty.statusCode());
        assertEquals("empty_array", json(empty).get("error").get("code").asText());
    }

    @Test
    void openai_rejects_max_tokens_for_reasoning_models() throws Exception {
        HttpResponse<String> response = openAi("{\"model\":\"o3-mini\",\"max_tokens\":10,\"messages\":[" + userMessage("hi") + "]}");
        assertEquals(400, response.statusCode());
        assertEquals("unsupported_parameter", json(response).get("error").get("code").asText());
    }

    @Test
    void openai_status_directive_returns_rate_limit_error_with_headers() throws Exception {
        HttpResponse<String> response = openAi("{\"model\":\"gpt-4o\",\"messages\":["
                + userMessage("hi [sandbox:status=429] [sandbox:retry_after=3]") + "]}");

        assertEquals(429, response.statusCode());
        JsonNode error = json(response).get("error");
        assertEquals("rate_limit_exceeded", error.get("code").asText());
        assertTrue(error.get("message").asText().startsWith("Rate limit reached for gpt-4o"));
        assertEquals("3", response.headers().firstValue("retry-after").orElseThrow());
        assertEquals("0", response.headers().firstValue("x-ratelimit-remaining-tokens").orElseThrow());
        assertEquals("3s", response.headers().firstValue("x-ratelimit-reset-tokens").orElseThrow());
    }

    @Test
    void openai_status_directive_500_and_503_are_server_errors() throws Exception {
        for (int status : new int[] {500, 503}) {
            HttpResponse<String> response = openAi("{\"model\":\"gpt-4o\",\"messages\":["
                    + userMessage("[sandbox:status=" + status + "]") + "]}");
            assertEquals(status, response.statusCode());
            assertEquals("server_error", json(response).get("error").get("type").asText());
        }
    }

    @Test
    void openai_unknown_path_is_404_in_openai_format() throws Exception {
        HttpResponse<String> response = post(sandbox.baseUrl("openai") + "/embeddingz",
                Map.of("Authorization", "Bearer sk-test"), "{}");
        assertEquals(404, response.statusCode());
        assertEquals("Invalid URL (POST /v1/embeddingz)", json(response).get("error").get("message").asText());
    }

    @Test
    void openai_stream_sends_chunks_usage_and_done() throws Exception {
        HttpResponse<String> response = openAi("{\"model\":\"gpt-4o\",\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true},\"messages\":[" + userMessage("one two") + "]}");

        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("content-type").orElseThrow().startsWith("text/event-stream"));
        List<String> data = new ArrayList<>();
        for (String frame : response.body().split("\n\n")) {
            assertTrue(frame.startsWith("data: "), frame);
            data.add(frame.substring(6));
        }
        assertEquals("[DONE]", data.get(data.size() - 1));
        JsonNode first = JSON.readTree(data.get(0));
        assertEquals("assistant", first.get("choices").get(0).get("delta").get("role").asText());
        StringBuilder text = new StringBuilder();
        for (String chunk : data.subList(1, data.size() - 3)) {
            text.append(JSON.readTree(chunk).get("choices").get(0).get("delta").get("content").asText());
        }
        assertEquals("Sandbox reply from gpt-4o: one two", text.toString());
        assertEquals("stop", JSON.readTree(data.get(data.size() - 3)).get("choices").get(0).get("finish_reason").asText());
        JsonNode usageChunk = JSON.readTree(data.get(data.size() - 2));
        assertEquals(0, usageChunk.get("choices").size());
        assertEquals(6, usageChunk.get("usage").get("completion_tokens").asInt());
    }

    // ---- Anthropic ---------------------------------------------------------------------------------

    @Test
    void anthropic_plain_reply_usage_excludes_cache_tokens() throws Exception {
        HttpResponse<String> response = anthropic("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":100,"
                + "\"system\":\"Be brief.\",\"messages\":["
                + userMessage("Capital of France? [sandbox:cached=500] [sandbox:cache_write=20]") + "]}");

        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = json(response);
        assertTrue(body.get("id").asText().matches("msg_01[A-Za-z0-9]{22}"));
        assertEquals("message", body.get("type").asText());
        assertEquals("assistant", body.get("role").asText());
        assertEquals("claude-sonnet-4-5", body.get("model").asText());
        assertEquals("Sandbox reply from claude-sonnet-4-5: Capital of France? [sandbox:cached=500] [sandbox:cache_write=20]",
                body.get("content").get(0).get("text").asText());
        assertEquals("end_turn", body.get("stop_reason").asText());
        assertTrue(body.get("stop_sequence").isNull());
        JsonNode usage = body.get("usage");
        assertEquals(2 + 5 + 3, usage.get("input_tokens").asInt());
        assertEquals(500, usage.get("cache_read_input_tokens").asInt());
        assertEquals(20, usage.get("cache_creation_input_tokens").asInt());
        assertEquals(9, usage.get("output_tokens").asInt());
        assertEquals("standard", usage.get("service_tier").asText());
        assertTrue(response.headers().firstValue("request-id").orElseThrow().startsWith("req_"));
        for (String kind : List.of("requests", "tokens", "input-tokens", "output-tokens")) {
            String reset = response.headers().firstValue("anthropic-ratelimit-" + kind + "-reset").orElseThrow();
            assertTrue(reset.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z"), reset);
            assertTrue(response.headers().firstValue("anthropic-ratelimit-" + kind + "-limit").isPresent());
            assertTrue(response.headers().firstValue("anthropic-ratelimit-" + kind + "-remaining").isPresent());
        }
    }

    @Test
    void anthropic_tool_call_returns_tool_use_block() throws Exception {
        HttpResponse<String> response = anthropic("{\"model\":\"claude-haiku-4-5\",\"max_tokens\":100,\"messages\":["
                + userMessage("Weather in Paris?") + "],\"tools\":[{\"name\":\"lookup\",\"input_schema\":{\"type\":\"object\"}},"
                + "{\"name\":\"get_weather\",\"input_schema\":" + WEATHER_TOOL_SCHEMA + "}],"
                + "\"tool_choice\":{\"type\":\"tool\",\"name\":\"get_weather\"}}");

        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = json(response);
        assertEquals("tool_use", body.get("stop_reason").asText());
        assertEquals("Let me check.", body.get("content").get(0).get("text").asText());
        JsonNode toolUse = body.get("content").get(1);
        assertEquals("tool_use", toolUse.get("type").asText());
        assertTrue(toolUse.get("id").asText().matches("toolu_01[A-Za-z0-9]{22}"), toolUse.get("id").asText());
        assertEquals("get_weather", toolUse.get("name").asText());
        assertEquals(JSON.readTree("{\"city\":\"sandbox-city\",\"days\":1,\"metric\":true}"), toolUse.get("input"));
    }

    @Test
    void anthropic_tool_result_is_acknowledged_with_text() throws Exception {
        HttpResponse<String> response = anthropic("{\"model\":\"claude-haiku-4-5\",\"max_tokens\":100,\"messages\":["
                + userMessage("Weather?") + ","
                + "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"w\",\"input\":{}}]},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"content\":\"Sunny\"}]}],"
                + "\"tools\":[{\"name\":\"w\",\"input_schema\":{\"type\":\"object\"}}]}");

        assertEquals(200, response.statusCode(), response.body());
        assertEquals("Tool result received: Sunny", json(response).get("content").get(0).get("text").asText());
    }

    @Test
    void anthropic_rejects_tool_result_without_preceding_tool_use() throws Exception {
        HttpResponse<String> response = anthropic("{\"model\":\"c\",\"max_tokens\":10,\"messages\":["
                + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"content\":\"x\"}]}]}");
        assertEquals(400, response.statusCode());
        assertTrue(json(response).get("error").get("message").asText().contains("unexpected `tool_use_id`"));
    }

    @Test
    void anthropic_rejects_missing_api_key() throws Exception {
        HttpResponse<String> response = post(sandbox.baseUrl("anthropic") + "/v1/messages",
                Map.of("anthropic-version", "2023-06-01"), "{}");

        assertEquals(401, response.statusCode());
        JsonNode body = json(response);
        assertEquals("error", body.get("type").asText());
        assertEquals("authentication_error", body.get("error").get("type").asText());
        assertEquals("invalid x-api-key", body.get("error").get("message").asText());
        assertTrue(body.get("request_id").asText().startsWith("req_"));
    }

    @Test
    void anthropic_rejects_missing_version_header() throws Exception {
        HttpResponse<String> response = post(sandbox.baseUrl("anthropic") + "/v1/messages",
                Map.of("x-api-key", "sk-ant"), "{}");
        assertEquals(400, response.statusCode());
        assertEquals("invalid_request_error", json(response).get("error").get("type").asText());
        assertEquals("anthropic-version: header is required", json(response).get("error").get("message").asText());
    }

    @Test
    void anthropic_requires_max_tokens() throws Exception {
        HttpResponse<String> response = anthropic("{\"model\":\"c\",\"messages\":[" + userMessage("hi") + "]}");
        assertEquals(400, response.statusCode());
        assertEquals("max_tokens: Field required", json(response).get("error").get("message").asText());
    }

    @Test
    void anthropic_rejects_system_role_inside_messages() throws Exception {
        HttpResponse<String> response = anthropic("{\"model\":\"c\",\"max_tokens\":10,\"messages\":["
                + "{\"role\":\"system\",\"content\":\"Be brief.\"}," + userMessage("hi") + "]}");
        assertEquals(400, response.statusCode());
        assertTrue(json(response).get("error").get("message").asText().contains("Unexpected role \"system\""));
    }

    @Test
    void anthropic_rejects_consecutive_user_roles_and_assistant_first() throws Exception {
        HttpResponse<String> twice = anthropic("{\"model\":\"c\",\"max_tokens\":10,\"messages\":["
                + userMessage("a") + "," + userMessage("b") + "]}");
        assertEquals(400, twice.statusCode());
        assertTrue(json(twice).get("error").get("message").asText()
                .startsWith("messages: roles must alternate between \"user\" and \"assistant\""));

        HttpResponse<String> assistantFirst = anthropic("{\"model\":\"c\",\"max_tokens\":10,\"messages\":["
                + "{\"role\":\"assistant\",\"content\":\"a\"}," + userMessage("b") + "]}");
        assertEquals(400, assistantFirst.statusCode());
        assertTrue(json(assistantFirst).get("error").get("message").asText().contains("roles must alternate"));
    }

    @Test
    void anthropic_rejects_temperature_above_one_and_extra_fields() throws Exception {
        HttpResponse<String> hot = anthropic("{\"model\":\"c\",\"max_tokens\":10,\"temperature\":1.5,\"messages\":["
                + userMessage("hi") + "]}");
        assertEquals(400, hot.statusCode());
        assertEquals("temperature: Input should be less than or equal to 1", json(hot).get("error").get("message").asText());

        HttpResponse<String> extra = anthropic("{\"model\":\"c\",\"max_tokens\":10,\"frequency_penalty\":0.5,\"messages\":["
                + userMessage("hi") + "]}");
        assertEquals(400, extra.statusCode());
        assertEquals("frequency_penalty: Extra inputs are not permitted", json(extra).get("error").get("message").asText());
    }

    @Test
    void anthropic_honours_max_tokens_and_stop_sequences() throws Exception {
        JsonNode capped = json(anthropic("{\"model\":\"c\",\"max_tokens\":2,\"messages\":[" + userMessage("hello") + "]}"));
        assertEquals("Sandbox reply", capped.get("content").get(0).get("text").asText());
        assertEquals("max_tokens", capped.get("stop_reason").asText());
        assertEquals(2, capped.get("usage").get("output_tokens").asInt());

        JsonNode stopped = json(anthropic("{\"model\":\"c\",\"max_tokens\":100,\"stop_sequences\":[\"END\",\"from\"],"
                + "\"messages\":[" + userMessage("hello") + "]}"));
        assertEquals("Sandbox reply ", stopped.get("content").get(0).get("text").asText());
        assertEquals("stop_sequence", stopped.get("stop_reason").asText());
        assertEquals("from", stopped.get("stop_sequence").asText());
    }

    @Test
    void anthropic_status_directives_map_to_vendor_error_types() throws Exception {
        Map<Integer, String> expected = Map.of(429, "rate_limit_error", 529, "overloaded_error", 500, "api_error");
        for (Map.Entry<Integer, String> entry : expected.entrySet()) {
            HttpResponse<String> response = anthropic("{\"model\":\"c\",\"max_tokens\":10,\"messages\":["
                    + userMessage("hi [sandbox:status=" + entry.getKey() + "]") + "]}");
            assertEquals(entry.getKey(), response.statusCode());
            assertEquals(entry.getValue(), json(response).get("error").get("type").asText());
            assertEquals("true", response.headers().firstValue("x-should-retry").orElseThrow());
            if (entry.getKey() == 429) {
                assertEquals("1", response.headers().firstValue("retry-after").orElseThrow());
                assertEquals("0", response.headers().firstValue("anthropic-ratelimit-requests-remaining").orElseThrow());
            }
        }
    }

    @Test
    void anthropic_unknown_path_is_404_in_anthropic_format() throws Exception {
        HttpResponse<String> response = post(sandbox.baseUrl("anthropic") + "/v1/complete",
                Map.of("x-api-key", "k", "anthropic-version", "2023-06-01"), "{}");
        assertEquals(404, response.statusCode());
        assertEquals("not_found_error", json(response).get("error").get("type").asText());
    }

    @Test
    void anthropic_stream_sends_named_events_in_order() throws Exception {
        HttpResponse<String> response = anthropic("{\"model\":\"c\",\"max_tokens\":100,\"stream\":true,\"messages\":["
                + userMessage("one two") + "]}");

        assertEquals(200, response.statusCode());
        List<String> events = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (String frame : response.body().split("\n\n")) {
            String[] lines = frame.split("\n");
            String event = lines[0].substring("event: ".length());
            JsonNode data = JSON.readTree(lines[1].substring("data: ".length()));
            assertEquals(event, data.get("type").asText());
            events.add(event);
            if ("content_block_delta".equals(event)) {
                text.append(data.get("delta").get("text").asText());
            }
            if ("message_delta".equals(event)) {
                assertEquals("end_turn", data.get("delta").get("stop_reason").asText());
                assertEquals(6, data.get("usage").get("output_tokens").asInt());
            }
        }
        assertEquals(List.of("message_start", "content_block_start", "ping"), events.subList(0, 3));
        assertEquals(List.of("content_block_stop", "message_delta", "message_stop"), events.subList(events.size() - 3, events.size()));
        assertEquals("Sandbox reply from c: one two", text.toString());
    }

    // ---- Gemini ------------------------------------------------------------------------------------

    @Test
    void gemini_plain_reply_is_a_model_text_part_with_word_usage() throws Exception {
        HttpResponse<String> response = gemini("gemini-2.5-flash", "generateContent",
                "{\"systemInstruction\":{\"parts\":[{\"text\":\"Be brief.\"}]},\"contents\":["
                        + geminiUser("What is Paris?") + "]}");

        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = json(response);
        JsonNode candidate = body.get("candidates").get(0);
        assertEquals("model", candidate.get("content").get("role").asText());
        assertEquals("Sandbox reply from gemini-2.5-flash: What is Paris?",
                candidate.get("content").get("parts").get(0).get("text").asText());
        assertEquals("STOP", candidate.get("finishReason").asText());
        assertEquals(0, candidate.get("index").asInt());
        JsonNode usage = body.get("usageMetadata");
        assertEquals(2 + 3 + 3, usage.get("promptTokenCount").asInt());
        assertEquals(7, usage.get("candidatesTokenCount").asInt());
        assertEquals(15, usage.get("totalTokenCount").asInt());
        assertFalse(usage.has("cachedContentTokenCount"));
        assertFalse(usage.has("thoughtsTokenCount"));
        assertEquals("gemini-2.5-flash", body.get("modelVersion").asText());
        assertTrue(body.get("responseId").asText().matches("[A-Za-z0-9]{23}"));
        assertFalse(body.has("model"));
    }

    @Test
    void gemini_prompt_tokens_include_cached_and_thoughts_sit_outside_candidates() throws Exception {
        String text = "hi [sandbox:cached=1024] [sandbox:reasoning=7]";
        JsonNode usage = json(gemini("gemini-2.5-pro", "generateContent", "{\"contents\":[" + geminiUser(text) + "]}"))
                .get("usageMetadata");

        int candidates = ("Sandbox reply from gemini-2.5-pro: " + text).split(" ").length;
        assertEquals(1024, usage.get("promptTokenCount").asInt());
        assertEquals(1024, usage.get("cachedContentTokenCount").asInt());
        assertEquals(candidates, usage.get("candidatesTokenCount").asInt());
        assertEquals(7, usage.get("thoughtsTokenCount").asInt());
        assertEquals(1024 + candidates + 7, usage.get("totalTokenCount").asInt());
    }

    @Test
    void gemini_tool_call_is_a_function_call_part_with_thought_signature_and_finish_stop() throws Exception {
        HttpResponse<String> response = gemini("gemini-2.5-flash", "generateContent", "{\"contents\":["
                + geminiUser("Weather in Paris?") + "],\"tools\":[{\"functionDeclarations\":[{\"name\":\"get_weather\","
                + "\"description\":\"Weather\",\"parameters\":{\"type\":\"OBJECT\",\"properties\":{\"city\":{\"type\":"
                + "\"STRING\"},\"days\":{\"type\":\"INTEGER\"}},\"required\":[\"city\",\"days\"]}}]}],"
                + "\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"ANY\",\"allowedFunctionNames\":[\"get_weather\"]}}}");

        assertEquals(200, response.statusCode(), response.body());
        JsonNode candidate = json(response).get("candidates").get(0);
        assertEquals("STOP", candidate.get("finishReason").asText());
        JsonNode part = candidate.get("content").get("parts").get(0);
        assertEquals("get_weather", part.get("functionCall").get("name").asText());
        assertEquals(JSON.readTree("{\"city\":\"sandbox-city\",\"days\":1}"), part.get("functionCall").get("args"));
        assertFalse(part.get("functionCall").has("id"));
        assertTrue(part.get("thoughtSignature").asText().length() > 20);
    }

    @Test
    void gemini_function_response_is_acknowledged_with_its_json() throws Exception {
        HttpResponse<String> response = gemini("gemini-2.5-flash", "generateContent", "{\"contents\":["
                + geminiUser("Weather? [sandbox:status=500]") + ","
                + "{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"w\",\"args\":{}},\"thoughtSignature\":\"sig\"}]},"
                + "{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":\"w\",\"response\":{\"temp\":21}}}]}],"
                + "\"tools\":[{\"functionDeclarations\":[{\"name\":\"w\"}]}]}");

        assertEquals(200, response.statusCode(), response.body());
        assertEquals("Tool result received: {\"temp\":21}", json(response).get("candidates").get(0).get("content")
                .get("parts").get(0).get("text").asText());
    }

    @Test
    void gemini_missing_key_is_403_and_an_invalid_key_is_400_api_key_invalid() throws Exception {
        String url = sandbox.baseUrl("gemini") + "/v1beta/models/gemini-2.5-flash:generateContent";
        String body = "{\"contents\":[" + geminiUser("hi") + "]}";

        HttpResponse<String> missing = post(url, Map.of(), body);
        assertEquals(403, missing.statusCode());
        assertEquals("PERMISSION_DENIED", json(missing).get("error").get("status").asText());

        HttpResponse<String> invalid = post(url, Map.of("x-goog-api-key", "invalid-key"), body);
        assertEquals(400, invalid.statusCode());
        JsonNode error = json(invalid).get("error");
        assertEquals(400, error.get("code").asInt());
        assertEquals("INVALID_ARGUMENT", error.get("status").asText());
        assertEquals("API key not valid. Please pass a valid API key.", error.get("message").asText());
        assertEquals("type.googleapis.com/google.rpc.ErrorInfo", error.get("details").get(0).get("@type").asText());
        assertEquals("API_KEY_INVALID", error.get("details").get(0).get("reason").asText());

        assertEquals(200, post(url + "?key=AIza-query", Map.of(), body).statusCode());
    }

    @Test
    void gemini_rejects_unknown_fields_json_schema_keys_bad_roles_and_non_object_function_responses() throws Exception {
        HttpResponse<String> model = gemini("gemini-2.5-flash", "generateContent",
                "{\"model\":\"gemini-2.5-flash\",\"contents\":[" + geminiUser("hi") + "]}");
        assertEquals(400, model.statusCode());
        assertEquals("Invalid JSON payload received. Unknown name \"model\": Cannot find field.",
                json(model).get("error").get("message").asText());
        assertEquals("type.googleapis.com/google.rpc.BadRequest",
                json(model).get("error").get("details").get(0).get("@type").asText());

        HttpResponse<String> schema = gemini("gemini-2.5-flash", "generateContent", "{\"contents\":["
                + geminiUser("hi") + "],\"tools\":[{\"functionDeclarations\":[{\"name\":\"w\",\"parameters\":{\"type\":"
                + "\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"additionalProperties\":false}}]}]}");
        assertEquals(400, schema.statusCode());
        assertEquals("Invalid JSON payload received. Unknown name \"additionalProperties\" at "
                + "'tools[0].function_declarations[0].parameters': Cannot find field.",
                json(schema).get("error").get("message").asText());

        HttpResponse<String> role = gemini("gemini-2.5-flash", "generateContent",
                "{\"contents\":[{\"role\":\"assistant\",\"parts\":[{\"text\":\"x\"}]}]}");
        assertEquals(400, role.statusCode());
        assertEquals("Please use a valid role: user, model.", json(role).get("error").get("message").asText());

        HttpResponse<String> response = gemini("gemini-2.5-flash", "generateContent", "{\"contents\":["
                + geminiUser("Weather?") + ",{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"w\",\"args\":{}}}]},"
                + "{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":\"w\",\"response\":\"Sunny\"}}]}]}");
        assertEquals(400, response.statusCode());
        assertTrue(json(response).get("error").get("message").asText()
                .startsWith("Invalid value at 'contents[2].parts[0].function_response.response'"));

        HttpResponse<String> stops = gemini("gemini-2.5-flash", "generateContent", "{\"contents\":[" + geminiUser("hi")
                + "],\"generationConfig\":{\"stopSequences\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]}}");
        assertEquals(400, stops.statusCode());
    }

    @Test
    void gemini_3_function_calls_must_echo_the_thought_signature() throws Exception {
        String history = "{\"contents\":[" + geminiUser("Weather?") + ",{\"role\":\"model\",\"parts\":[{\"functionCall\":"
                + "{\"name\":\"w\",\"args\":{}}%s}]},{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"name\":\"w\","
                + "\"response\":{\"ok\":true}}}]}]}";
        HttpResponse<String> unsigned = gemini("gemini-3-pro-preview", "generateContent", String.format(history, ""));
        assertEquals(400, unsigned.statusCode());
        assertTrue(json(unsigned).get("error").get("message").asText().startsWith("Function call is missing a thought_signature"));
        assertEquals(200, gemini("gemini-3-pro-preview", "generateContent",
                String.format(history, ",\"thoughtSignature\":\"abc\"")).statusCode());
    }

    @Test
    void gemini_429_directive_is_resource_exhausted_with_retry_info() throws Exception {
        HttpResponse<String> response = gemini("gemini-2.5-flash", "generateContent", "{\"contents\":["
                + geminiUser("hi [sandbox:status=429] [sandbox:retry_after=23]") + "]}");

        assertEquals(429, response.statusCode());
        JsonNode error = json(response).get("error");
        assertEquals("RESOURCE_EXHAUSTED", error.get("status").asText());
        JsonNode retry = null;
        for (JsonNode detail : error.get("details")) {
            if (detail.get("@type").asText().endsWith("RetryInfo")) {
                retry = detail;
            }
        }
        assertNotNull(retry);
        assertEquals("23s", retry.get("retryDelay").asText());
        assertFalse(response.headers().firstValue("retry-after").isPresent());
        for (Map.Entry<Integer, String> entry : Map.of(500, "INTERNAL", 503, "UNAVAILABLE", 504, "DEADLINE_EXCEEDED",
                404, "NOT_FOUND").entrySet()) {
            HttpResponse<String> other = gemini("gemini-2.5-flash", "generateContent", "{\"contents\":["
                    + geminiUser("[sandbox:status=" + entry.getKey() + "]") + "]}");
            assertEquals(entry.getKey(), other.statusCode());
            assertEquals(entry.getValue(), json(other).get("error").get("status").asText());
        }
    }

    @Test
    void gemini_blocked_prompt_has_no_candidates_and_safety_finish_has_no_content() throws Exception {
        JsonNode blocked = json(gemini("gemini-2.5-flash", "generateContent", "{\"contents\":["
                + geminiUser("[sandbox:blocked=true]") + "]}"));
        assertFalse(blocked.has("candidates"));
        assertEquals("SAFETY", blocked.get("promptFeedback").get("blockReason").asText());
        assertTrue(blocked.get("usageMetadata").has("promptTokenCount"));

        JsonNode safety = json(gemini("gemini-2.5-flash", "generateContent", "{\"contents\":["
                + geminiUser("[sandbox:finish=SAFETY]") + "]}"));
        JsonNode candidate = safety.get("candidates").get(0);
        assertEquals("SAFETY", candidate.get("finishReason").asText());
        assertFalse(candidate.has("content"));
    }

    @Test
    void gemini_stream_sends_crlf_frames_with_new_parts_and_cumulative_usage_and_no_done() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(sandbox.baseUrl("gemini")
                        + "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"))
                .header("x-goog-api-key", "AIza-sandbox")
                .POST(HttpRequest.BodyPublishers.ofString("{\"contents\":[" + geminiUser("one two") + "]}"))
                .build();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());

        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("content-type").orElseThrow().startsWith("text/event-stream"));
        assertTrue(response.body().endsWith("}\r\n\r\n"));
        assertFalse(response.body().contains("[DONE]"));
        List<String> data = dataFrames(response.body(), "\r\n");
        StringBuilder text = new StringBuilder();
        int previous = 0;
        for (int i = 0; i < data.size(); i++) {
            JsonNode chunk = JSON.readTree(data.get(i));
            JsonNode candidate = chunk.get("candidates").get(0);
            text.append(candidate.get("content").get("parts").get(0).get("text").asText());
            assertEquals(i == data.size() - 1, candidate.has("finishReason"));
            int sofar = chunk.get("usageMetadata").get("candidatesTokenCount").asInt();
            assertTrue(sofar > previous);
            previous = sofar;
            assertEquals("gemini-2.5-flash", chunk.get("modelVersion").asText());
        }
        assertEquals("Sandbox reply from gemini-2.5-flash: one two", text.toString());
        assertEquals(6, previous);
    }

    // ---- Cohere ------------------------------------------------------------------------------------

    @Test
    void cohere_plain_reply_has_no_model_and_bills_words_with_template_overhead_in_tokens() throws Exception {
        HttpResponse<String> response = cohere("{\"model\":\"command-r-plus-08-2024\",\"messages\":["
                + "{\"role\":\"system\",\"content\":\"Be brief.\"}," + userMessage("Capital of France?") + "]}");

        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = json(response);
        assertTrue(body.get("id").asText().matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}"));
        assertFalse(body.has("model"));
        assertEquals("COMPLETE", body.get("finish_reason").asText());
        JsonNode message = body.get("message");
        assertEquals("assistant", message.get("role").asText());
        assertEquals("text", message.get("content").get(0).get("type").asText());
        assertEquals("Sandbox reply from command-r-plus-08-2024: Capital of France?",
                message.get("content").get(0).get("text").asText());
        JsonNode usage = body.get("usage");
        assertEquals(2 + 3 + 3 + 3, usage.get("billed_units").get("input_tokens").asInt());
        assertEquals(7, usage.get("billed_units").get("output_tokens").asInt());
        assertEquals(11 + 66, usage.get("tokens").get("input_tokens").asInt());
        assertEquals(7 + 2, usage.get("tokens").get("output_tokens").asInt());
        assertEquals(0, usage.get("cached_tokens").asInt());
    }

    @Test
    void cohere_tool_call_has_a_plan_and_an_id_of_name_and_12_lowercase_alnum() throws Exception {
        HttpResponse<String> response = cohere("{\"model\":\"command-a-03-2025\",\"messages\":["
                + userMessage("Weather in Paris?") + "],\"tool_choice\":\"REQUIRED\",\"tools\":[{\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"parameters\":" + WEATHER_TOOL_SCHEMA + "}}]}");

        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = json(response);
        assertEquals("TOOL_CALL", body.get("finish_reason").asText());
        assertFalse(body.get("message").get("tool_plan").asText().isEmpty());
        JsonNode call = body.get("message").get("tool_calls").get(0);
        assertTrue(call.get("id").asText().matches("get_weather_[a-z0-9]{12}"), call.get("id").asText());
        assertEquals("function", call.get("type").asText());
        assertEquals(JSON.readTree("{\"city\":\"sandbox-city\",\"days\":1,\"metric\":true}"),
                JSON.readTree(call.get("function").get("arguments").asText()));
    }

    @Test
    void cohere_tool_result_is_acknowledged_with_text() throws Exception {
        HttpResponse<String> response = cohere("{\"model\":\"command-r\",\"messages\":[" + userMessage("Weather?") + ","
                + "{\"role\":\"assistant\",\"tool_plan\":\"I will check.\",\"tool_calls\":[{\"id\":\"w_abc\",\"type\":"
                + "\"function\",\"function\":{\"name\":\"w\",\"arguments\":\"{}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"w_abc\",\"content\":[{\"type\":\"document\",\"document\":"
                + "{\"data\":\"Sunny\"}}]}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"w\"}}]}");

        assertEquals(200, response.statusCode(), response.body());
        assertEquals("Tool result received: Sunny",
                json(response).get("message").get("content").get(0).get("text").asText());
        assertEquals("COMPLETE", json(response).get("finish_reason").asText());
    }

    @Test
    void cohere_rejects_missing_and_invalid_keys_with_id_and_message() throws Exception {
        String body = "{\"model\":\"command-r\",\"messages\":[" + userMessage("hi") + "]}";
        HttpResponse<String> missing = post(sandbox.baseUrl("cohere") + "/v2/chat", Map.of(), body);
        assertEquals(401, missing.statusCode());
        assertEquals("no api key supplied", json(missing).get("message").asText());
        assertTrue(json(missing).has("id"));

        HttpResponse<String> invalid = post(sandbox.baseUrl("cohere") + "/v2/chat",
                Map.of("Authorization", "Bearer invalid-key"), body);
        assertEquals(401, invalid.statusCode());
        assertEquals("invalid api token", json(invalid).get("message").asText());
    }

    @Test
    void cohere_rejects_openai_field_names_auto_tool_choice_p_out_of_range_and_tool_messages_without_id()
            throws Exception {
        for (String extra : List.of("\"top_p\":0.5", "\"stop\":[\"x\"]", "\"n\":2")) {
            HttpResponse<String> response = cohere("{\"model\":\"command-r\"," + extra + ",\"messages\":["
                    + userMessage("hi") + "]}");
            assertEquals(422, response.statusCode(), extra);
            assertTrue(json(response).get("message").asText().startsWith("unknown field: parameter "), response.body());
        }
        String tools = ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"w\"}}]";
        HttpResponse<String> auto = cohere("{\"model\":\"command-r\",\"tool_choice\":\"auto\",\"messages\":["
                + userMessage("hi") + "]" + tools + "}");
        assertEquals(400, auto.statusCode());
        assertTrue(json(auto).get("message").asText().startsWith("invalid request: "));

        HttpResponse<String> p = cohere("{\"model\":\"command-r\",\"p\":1.0,\"messages\":[" + userMessage("hi") + "]}");
        assertEquals(400, p.statusCode());
        assertEquals("invalid request: p must be between 0.01 and 0.99 inclusive", json(p).get("message").asText());

        HttpResponse<String> toolWithoutId = cohere("{\"model\":\"command-r\",\"messages\":[" + userMessage("hi") + ","
                + "{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"w_1\",\"type\":\"function\",\"function\":{\"name\":"
                + "\"w\",\"arguments\":\"{}\"}}]},{\"role\":\"tool\",\"content\":\"x\"}]" + tools + "}");
        assertEquals(400, toolWithoutId.statusCode());
        assertTrue(json(toolWithoutId).get("message").asText().contains("tool_call_id"));
    }

    @Test
    void cohere_status_directives_give_trial_key_429_and_498() throws Exception {
        HttpResponse<String> limited = cohere("{\"model\":\"command-r\",\"messages\":["
                + userMessage("hi [sandbox:status=429]") + "]}");
        assertEquals(429, limited.statusCode());
        assertTrue(json(limited).get("message").asText().startsWith("You are using a Trial key"));
        for (int status : new int[] {498, 500, 503}) {
            HttpResponse<String> response = cohere("{\"model\":\"command-r\",\"messages\":["
                    + userMessage("[sandbox:status=" + status + "]") + "]}");
            assertEquals(status, response.statusCode());
            assertTrue(json(response).has("id") && json(response).has("message"));
        }
    }

    @Test
    void cohere_stream_sends_kebab_case_events_with_tool_call_object_in_fragments_and_usage_at_the_end()
            throws Exception {
        HttpResponse<String> response = cohere("{\"model\":\"command-r\",\"stream\":true,\"messages\":["
                + userMessage("Weather?") + "],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                + "\"parameters\":" + WEATHER_TOOL_SCHEMA + "}}]}");

        assertEquals(200, response.statusCode(), response.body());
        List<String> events = new ArrayList<>();
        StringBuilder arguments = new StringBuilder();
        int argumentDeltas = 0;
        JsonNode end = null;
        for (String frame : response.body().split("\n\n")) {
            String[] lines = frame.split("\n");
            String event = lines[0].substring("event: ".length());
            JsonNode data = JSON.readTree(lines[1].substring("data: ".length()));
            assertEquals(event, data.get("type").asText());
            events.add(event);
            if ("tool-call-start".equals(event)) {
                JsonNode call = data.get("delta").get("message").get("tool_calls");
                assertTrue(call.isObject());
                assertTrue(call.get("id").asText().startsWith("get_weather_"));
            }
            if ("tool-call-delta".equals(event)) {
                JsonNode call = data.get("delta").get("message").get("tool_calls");
                assertTrue(call.isObject());
                arguments.append(call.get("function").get("arguments").asText());
                argumentDeltas++;
            }
            if ("message-end".equals(event)) {
                end = data;
            }
        }
        assertEquals("message-start", events.get(0));
        assertTrue(events.contains("tool-plan-delta"));
        assertEquals(List.of("tool-call-end", "message-end"), events.subList(events.size() - 2, events.size()));
        assertTrue(argumentDeltas >= 2);
        assertEquals(JSON.readTree("{\"city\":\"sandbox-city\",\"days\":1,\"metric\":true}"), JSON.readTree(arguments.toString()));
        assertNotNull(end);
        assertEquals("TOOL_CALL", end.get("delta").get("finish_reason").asText());
        assertTrue(end.get("delta").get("usage").get("billed_units").get("output_tokens").asInt() > 0);

        HttpResponse<String> text = cohere("{\"model\":\"command-r\",\"stream\":true,\"messages\":["
                + userMessage("one") + "]}");
        assertTrue(text.body().startsWith("event: message-start\n"));
        assertTrue(text.body().contains("event: content-start\n"));
        assertTrue(text.body().contains("event: content-delta\n"));
        assertTrue(text.body().contains("event: content-end\n"));
    }

    // ---- Mistral -----------------------------------------------------------------------------------

    @Test
    void mistral_plain_reply_echoes_the_model_and_has_only_three_usage_counts() throws Exception {
        HttpResponse<String> response = mistral("{\"model\":\"mistral-large-latest\",\"random_seed\":7,\"messages\":["
                + userMessage("Capital of France?") + "]}");

        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = json(response);
        assertTrue(body.get("id").asText().matches("[0-9a-f]{32}"));
        assertEquals("chat.completion", body.get("object").asText());
        assertEquals("mistral-large-latest", body.get("model").asText());
        JsonNode choice = body.get("choices").get(0);
        assertEquals("Sandbox reply from mistral-large-latest: Capital of France?",
                choice.get("message").get("content").asText());
        assertTrue(choice.get("message").get("tool_calls").isNull());
        assertEquals("stop", choice.get("finish_reason").asText());
        JsonNode usage = body.get("usage");
        assertEquals(List.of("prompt_tokens", "total_tokens", "completion_tokens"), fieldNames(usage));
        assertEquals(6, usage.get("prompt_tokens").asInt());
        assertEquals(7, usage.get("completion_tokens").asInt());
        assertTrue(response.headers().firstValue("x-ratelimit-remaining-tokens-minute").isPresent());
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void mistral_tool_call_has_a_9_char_id_and_empty_string_content() throws Exception {
        HttpResponse<String> response = mistral("{\"model\":\"mistral-large-latest\",\"tool_choice\":\"any\",\"messages\":["
                + userMessage("Weather?") + "],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                + "\"parameters\":" + WEATHER_TOOL_SCHEMA + "}}]}");

        assertEquals(200, response.statusCode(), response.body());
        JsonNode choice = json(response).get("choices").get(0);
        assertEquals("tool_calls", choice.get("finish_reason").asText());
        assertEquals("", choice.get("message").get("content").asText());
        JsonNode call = choice.get("message").get("tool_calls").get(0);
        assertTrue(call.get("id").asText().matches("[A-Za-z0-9]{9}"), call.get("id").asText());
        assertEquals(0, call.get("index").asInt());
        assertEquals("get_weather", call.get("function").get("name").asText());
    }

    @Test
    void mistral_tool_result_with_a_valid_id_is_acknowledged() throws Exception {
        HttpResponse<String> response = mistral("{\"model\":\"mistral-small-latest\",\"messages\":[" + userMessage("Weather?") + ","
                + "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"id\":\"D681PevKs\",\"type\":\"function\","
                + "\"function\":{\"name\":\"w\",\"arguments\":\"{}\"}}]},"
                + "{\"role\":\"tool\",\"name\":\"w\",\"tool_call_id\":\"D681PevKs\",\"content\":\"Sunny\"}]}");

        assertEquals(200, response.statusCode(), response.body());
        assertEquals("Tool result received: Sunny",
                json(response).get("choices").get(0).get("message").get("content").asText());
    }

    @Test
    void mistral_401_is_not_the_error_envelope() throws Exception {
        HttpResponse<String> response = post(sandbox.baseUrl("mistral") + "/chat/completions",
                Map.of("Authorization", "Bearer invalid"), "{\"model\":\"m\",\"messages\":[" + userMessage("hi") + "]}");
        assertEquals(401, response.statusCode());
        JsonNode body = json(response);
        assertEquals("Unauthorized", body.get("message").asText());
        assertTrue(body.get("request_id").asText().matches("[0-9a-f]+"));
        assertFalse(body.has("object"));
    }

    @Test
    void mistral_rejects_foreign_tool_call_ids_and_openai_only_fields() throws Exception {
        HttpResponse<String> badId = mistral("{\"model\":\"m\",\"messages\":[" + userMessage("Weather?") + ","
                + "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"id\":\"call_abc123\",\"type\":\"function\","
                + "\"function\":{\"name\":\"w\",\"arguments\":\"{}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_abc123\",\"content\":\"Sunny\"}]}");
        assertEquals(400, badId.statusCode());
        assertEquals(JSON.readTree("{\"object\":\"error\",\"message\":\"Tool call id was call_abc123 but must be a-z, "
                + "A-Z, 0-9, with a length of 9.\",\"type\":\"invalid_function_call\",\"param\":null,\"code\":\"3280\"}"),
                json(badId));

        for (String field : List.of("\"seed\":1", "\"user\":\"u\"", "\"logit_bias\":{}",
                "\"stream\":true,\"stream_options\":{\"include_usage\":true}")) {
            HttpResponse<String> response = mistral("{\"model\":\"m\"," + field + ",\"messages\":[" + userMessage("hi") + "]}");
            assertEquals(422, response.statusCode(), field);
            JsonNode detail = json(response).get("message").get("detail").get(0);
            assertEquals("extra_forbidden", detail.get("type").asText());
        }
    }

    @Test
    void mistral_directives_give_rate_limited_429_and_model_length_finish() throws Exception {
        HttpResponse<String> limited = mistral("{\"model\":\"m\",\"messages\":[" + userMessage("[sandbox:status=429]") + "]}");
        assertEquals(429, limited.statusCode());
        assertEquals(JSON.readTree("{\"object\":\"error\",\"message\":\"Rate limit exceeded\",\"type\":\"rate_limited\","
                + "\"param\":null,\"code\":\"1300\"}"), json(limited));

        JsonNode body = json(mistral("{\"model\":\"m\",\"messages\":[" + userMessage("[sandbox:finish=model_length]") + "]}"));
        assertEquals("model_length", body.get("choices").get(0).get("finish_reason").asText());
    }

    @Test
    void mistral_stream_puts_usage_on_the_finish_chunk_and_sends_a_tool_call_whole() throws Exception {
        HttpResponse<String> text = mistral("{\"model\":\"m\",\"stream\":true,\"messages\":[" + userMessage("one two") + "]}");
        assertEquals(200, text.statusCode(), text.body());
        List<String> data = dataFrames(text.body(), "\n");
        assertEquals("[DONE]", data.get(data.size() - 1));
        JsonNode last = JSON.readTree(data.get(data.size() - 2));
        assertEquals("stop", last.get("choices").get(0).get("finish_reason").asText());
        assertEquals(6, last.get("usage").get("completion_tokens").asInt());
        StringBuilder content = new StringBuilder();
        for (String chunk : data.subList(0, data.size() - 1)) {
            JsonNode node = JSON.readTree(chunk);
            content.append(node.get("choices").get(0).get("delta").path("content").asText());
            if (node != last && !chunk.equals(data.get(data.size() - 2))) {
                assertFalse(node.has("usage"));
            }
        }
        assertEquals("Sandbox reply from m: one two", content.toString());

        HttpResponse<String> tool = mistral("{\"model\":\"m\",\"stream\":true,\"messages\":[" + userMessage("Weather?")
                + "],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"
                + WEATHER_TOOL_SCHEMA + "}}]}");
        List<String> toolData = dataFrames(tool.body(), "\n");
        assertEquals(3, toolData.size());
        JsonNode callChunk = JSON.readTree(toolData.get(1));
        JsonNode call = callChunk.get("choices").get(0).get("delta").get("tool_calls").get(0);
        assertTrue(call.get("id").asText().matches("[A-Za-z0-9]{9}"));
        assertEquals(JSON.readTree("{\"city\":\"sandbox-city\",\"days\":1,\"metric\":true}"),
                JSON.readTree(call.get("function").get("arguments").asText()));
        assertEquals("tool_calls", callChunk.get("choices").get(0).get("finish_reason").asText());
        assertTrue(callChunk.has("usage"));
    }

    // ---- Together ----------------------------------------------------------------------------------

    @Test
    void together_plain_reply_has_prompt_seed_empty_tool_calls_and_top_level_cached_tokens() throws Exception {
        HttpResponse<String> response = together("{\"model\":\"meta-llama/Llama-3.3-70B-Instruct-Turbo\",\"top_k\":40,"
                + "\"repetition_penalty\":1.1,\"messages\":[" + userMessage("Capital? [sandbox:cached=4]") + "]}");

        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = json(response);
        assertTrue(body.get("id").asText().matches("[A-Za-z0-9]{7}-[A-Za-z0-9]{6}-[0-9a-f]{16}"), body.get("id").asText());
        assertEquals("meta-llama/Llama-3.3-70B-Instruct-Turbo", body.get("model").asText());
        assertTrue(body.get("prompt").isArray() && body.get("prompt").isEmpty());
        JsonNode choice = body.get("choices").get(0);
        assertTrue(choice.get("seed").isIntegralNumber());
        assertTrue(choice.get("message").get("tool_calls").isArray() && choice.get("message").get("tool_calls").isEmpty());
        assertEquals("stop", choice.get("finish_reason").asText());
        JsonNode usage = body.get("usage");
        assertEquals(4, usage.get("cached_tokens").asInt());
        assertTrue(usage.get("prompt_tokens_details").isNull());
        assertEquals(2 + 3, usage.get("prompt_tokens").asInt());
        assertEquals(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt(),
                usage.get("total_tokens").asInt());
    }

    @Test
    void together_tool_call_id_is_call_and_24_lowercase_alnum() throws Exception {
        HttpResponse<String> response = together("{\"model\":\"meta-llama/Llama-3.3-70B-Instruct-Turbo\",\"messages\":["
                + userMessage("Weather?") + "],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                + "\"parameters\":" + WEATHER_TOOL_SCHEMA + "}}]}");

        assertEquals(200, response.statusCode(), response.body());
        JsonNode choice = json(response).get("choices").get(0);
        assertEquals("tool_calls", choice.get("finish_reason").asText());
        JsonNode call = choice.get("message").get("tool_calls").get(0);
        assertTrue(call.get("id").asText().matches("call_[a-z0-9]{24}"), call.get("id").asText());
        assertEquals("get_weather", call.get("function").get("name").asText());
    }

    @Test
    void together_tool_result_is_acknowledged_with_text() throws Exception {
        HttpResponse<String> response = together("{\"model\":\"meta-llama/Llama-3.3-70B-Instruct-Turbo\",\"messages\":["
                + userMessage("Weather?") + ",{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":"
                + "\"call_abc\",\"type\":\"function\",\"function\":{\"name\":\"w\",\"arguments\":\"{}\"}}]},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"call_abc\",\"content\":\"Sunny\"}]}");

        assertEquals(200, response.statusCode(), response.body());
        assertEquals("Tool result received: Sunny",
                json(response).get("choices").get(0).get("message").get("content").asText());
    }

    @Test
    void together_rejects_a_bad_key_with_the_openai_envelope() throws Exception {
        HttpResponse<String> response = post(sandbox.baseUrl("together") + "/chat/completions", Map.of(),
                "{\"model\":\"m\",\"messages\":[" + userMessage("hi") + "]}");
        assertEquals(401, response.statusCode());
        JsonNode error = json(response).get("error");
        assertEquals("invalid_api_key", error.get("code").asText());
        assertTrue(error.get("message").asText().startsWith("Invalid API key provided."));
    }

    @Test
    void together_validates_known_parameters_like_openai() throws Exception {
        HttpResponse<String> response = together("{\"model\":\"m\",\"temperature\":3,\"messages\":[" + userMessage("hi") + "]}");
        assertEquals(400, response.statusCode());
        assertEquals("invalid_request_error", json(response).get("error").get("type").asText());
    }

    @Test
    void together_directives_give_eos_finish_and_server_errors() throws Exception {
        JsonNode body = json(together("{\"model\":\"m\",\"messages\":[" + userMessage("[sandbox:finish=eos]") + "]}"));
        assertEquals("eos", body.get("choices").get(0).get("finish_reason").asText());
        HttpResponse<String> unavailable = together("{\"model\":\"m\",\"messages\":[" + userMessage("[sandbox:status=503]") + "]}");
        assertEquals(503, unavailable.statusCode());
        assertEquals("server_error", json(unavailable).get("error").get("type").asText());
    }

    @Test
    void together_stream_chunks_carry_text_seed_token_id_and_the_final_one_finish_and_usage() throws Exception {
        HttpResponse<String> response = together("{\"model\":\"m\",\"stream\":true,\"messages\":[" + userMessage("one two") + "]}");

        assertEquals(200, response.statusCode(), response.body());
        List<String> data = dataFrames(response.body(), "\n");
        assertEquals("[DONE]", data.get(data.size() - 1));
        StringBuilder text = new StringBuilder();
        for (String chunk : data.subList(0, data.size() - 2)) {
            JsonNode choice = JSON.readTree(chunk).get("choices").get(0);
            assertTrue(choice.get("delta").get("token_id").isInt());
            assertEquals(choice.get("text").asText(), choice.get("delta").get("content").asText());
            assertTrue(choice.get("seed").isNull());
            assertTrue(choice.get("finish_reason").isNull());
            text.append(choice.get("text").asText());
        }
        assertEquals("Sandbox reply from m: one two", text.toString());
        JsonNode last = JSON.readTree(data.get(data.size() - 2));
        assertEquals("stop", last.get("choices").get(0).get("finish_reason").asText());
        assertTrue(last.get("choices").get(0).get("seed").isIntegralNumber());
        assertEquals(128009, last.get("choices").get(0).get("delta").get("token_id").asInt());
        assertEquals(6, last.get("usage").get("completion_tokens").asInt());
        assertEquals(0, last.get("usage").get("cached_tokens").asInt());
    }

    // ---- faults and recording ----------------------------------------------------------------------

    @Test
    void latency_directive_delays_the_response() throws Exception {
        long started = System.nanoTime();
        HttpResponse<String> response = openAi("{\"model\":\"gpt-4o\",\"messages\":[" + userMessage("[sandbox:latency=300]") + "]}");
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;

        assertEquals(200, response.statusCode());
        assertTrue(elapsedMs >= 300, "elapsed " + elapsedMs);
        assertEquals("300", response.headers().firstValue("openai-processing-ms").orElseThrow());
    }

    @Test
    void default_latency_applies_when_no_directive_is_given() throws Exception {
        sandbox.setDefaultLatencyMs(200);
        try {
            long started = System.nanoTime();
            HttpResponse<String> response = anthropic("{\"model\":\"c\",\"max_tokens\":10,\"messages\":[" + userMessage("hi") + "]}");
            assertEquals(200, response.statusCode());
            assertTrue((System.nanoTime() - started) / 1_000_000 >= 200);
        } finally {
            sandbox.setDefaultLatencyMs(0);
        }
    }

    @Test
    void drop_directive_closes_the_connection_without_a_response() {
        assertThrows(IOException.class, () -> openAi("{\"model\":\"gpt-4o\",\"messages\":[" + userMessage("[sandbox:drop=true]") + "]}"));
        assertThrows(IOException.class, () -> anthropic("{\"model\":\"c\",\"max_tokens\":10,\"messages\":["
                + userMessage("[sandbox:drop=true]") + "]}"));
    }

    @Test
    void fail_after_directive_cuts_a_stream_mid_way() {
        assertThrows(IOException.class, () -> anthropic("{\"model\":\"c\",\"max_tokens\":100,\"stream\":true,\"messages\":["
                + userMessage("[sandbox:fail_after=2] [sandbox:chunk_delay=10]") + "]}"));
    }

    @Test
    void fail_after_directive_delivers_exactly_that_many_events_first() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(sandbox.baseUrl("openai") + "/chat/completions"))
                .header("Authorization", "Bearer sk-test")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-4o\",\"stream\":true,\"messages\":["
                        + userMessage("one two three [sandbox:fail_after=3]") + "]}"))
                .build();
        HttpResponse<java.io.InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        List<String> frames = new ArrayList<>();
        // The stream hands over every byte that arrived before it reports the cut.
        java.io.BufferedReader reader = new java.io.BufferedReader(
                new java.io.InputStreamReader(response.body(), java.nio.charset.StandardCharsets.UTF_8));
        assertThrows(java.io.IOException.class, () -> {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.startsWith("data: ")) {
                    frames.add(line);
                }
            }
        });
        assertEquals(3, frames.size());
    }

    @Test
    void error_after_directive_sends_the_vendor_error_event_mid_stream() throws Exception {
        HttpResponse<String> response = anthropic("{\"model\":\"c\",\"max_tokens\":100,\"stream\":true,\"messages\":["
                + userMessage("hi [sandbox:error_after=3]") + "]}");

        assertEquals(200, response.statusCode());
        String[] frames = response.body().split("\n\n");
        assertEquals(4, frames.length);
        assertTrue(frames[3].startsWith("event: error\ndata: "), frames[3]);
        assertTrue(frames[3].contains("\"overloaded_error\""));
    }

    @Test
    void records_method_path_headers_and_raw_body() throws Exception {
        String body = "{\"model\":\"c\",\"max_tokens\":10,\"messages\":[" + userMessage("record me") + "]}";
        anthropic(body);

        RecordedRequest recorded = sandbox.lastRequest("anthropic");
        assertNotNull(recorded);
        assertEquals("POST", recorded.method());
        assertEquals("/anthropic/v1/messages", recorded.path());
        assertEquals("sk-ant-test", recorded.header("X-API-KEY"));
        assertEquals("2023-06-01", recorded.header("anthropic-version"));
        assertEquals(body, recorded.body());
        assertEquals("record me", recorded.bodyJson().get("messages").get(0).get("content").asText());
        assertFalse(sandbox.recorded().isEmpty());
    }

    @Test
    void recorder_keeps_only_the_most_recent_requests_and_clears() {
        RequestRecorder recorder = new RequestRecorder(1000);
        for (int i = 0; i < 1005; i++) {
            recorder.add(new RecordedRequest("openai", "POST", "/p" + i, null, Map.of(), "", java.time.Instant.now()));
        }
        assertEquals(1000, recorder.snapshot().size());
        assertEquals("/p5", recorder.snapshot().get(0).path());
        assertEquals("/p1004", recorder.last("openai").path());
        assertNull(recorder.last("anthropic"));
        recorder.clear();
        assertTrue(recorder.snapshot().isEmpty());
    }

    @Test
    void base_urls_point_at_loopback() {
        String root = "http://127.0.0.1:" + sandbox.port();
        assertEquals(root + "/openai/v1", sandbox.baseUrl("openai"));
        assertEquals(root + "/anthropic", sandbox.baseUrl("anthropic"));
        assertEquals(root + "/gemini", sandbox.baseUrl("gemini"));
        assertEquals(root + "/cohere", sandbox.baseUrl("cohere"));
        assertEquals(root + "/mistral/v1", sandbox.baseUrl("mistral"));
        assertEquals(root + "/together/v1", sandbox.baseUrl("together"));
        assertThrows(IllegalArgumentException.class, () -> sandbox.baseUrl("nope"));
    }

    @Test
    void base_url_for_prefers_the_provider_simulator_then_the_wire_format() {
        String root = "http://127.0.0.1:" + sandbox.port();
        assertEquals(root + "/gemini", sandbox.baseUrlFor("google", "openai"));
        assertEquals(root + "/mistral/v1", sandbox.baseUrlFor("mistral", "openai"));
        assertEquals(root + "/together/v1", sandbox.baseUrlFor("meta", "openai"));
        assertEquals(root + "/together/v1", sandbox.baseUrlFor("together", "openai"));
        assertEquals(root + "/cohere", sandbox.baseUrlFor("cohere", "cohere"));
        assertEquals(root + "/openai/v1", sandbox.baseUrlFor("azure", "openai"));
        assertEquals(root + "/anthropic", sandbox.baseUrlFor("bedrock-claude", "anthropic"));
        assertNull(sandbox.baseUrlFor("acme", "acme-wire"));
    }
}
