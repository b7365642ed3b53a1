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
        HttpResponse<java.util.stream.Stream<String>> response = client.send(request, HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, response.statusCode());
        List<String> frames = new ArrayList<>();
        java.util.Iterator<String> lines = response.body().iterator();
        assertThrows(java.io.UncheckedIOException.class, () -> {
            while (lines.hasNext()) {
                String line = lines.next();
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
        assertEquals("http://127.0.0.1:" + sandbox.port() + "/openai/v1", sandbox.baseUrl("openai"));
        assertEquals("http://127.0.0.1:" + sandbox.port() + "/anthropic", sandbox.baseUrl("anthropic"));
        assertThrows(IllegalArgumentException.class, () -> sandbox.baseUrl("nope"));
    }
}
