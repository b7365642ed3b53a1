package ai.infrastack.gateway.provider.anthropic;

import ai.infrastack.gateway.core.Completion;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.Usage;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAI → Anthropic Messages translation, called directly (no network): every mapping of
 * shared/reference/providers.md §1.2, the response mapping of §1.3/§1.5, the finish reasons of §0.2,
 * the usage buckets of §0.1 and the error mapping of §1.6.
 */
class AnthropicWireTranslatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AnthropicWireTranslator TRANSLATOR = new AnthropicWireTranslator();
    private static ModelCatalog catalog;
    private static ModelSpec sonnet;

    @BeforeAll
    static void loadCatalog() {
        catalog = ModelCatalog.load(Path.of("pricing"));
        sonnet = catalog.find("claude-3.5-sonnet").orElseThrow();
    }

    private static ObjectNode request(String json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** A request for claude-3.5-sonnet with the given messages and extra top-level fields. */
    private static ObjectNode chat(String messages, String extraFields) {
        return request("{\"model\": \"claude-3.5-sonnet\", \"messages\": " + messages
                + (extraFields.isEmpty() ? "" : ", " + extraFields) + "}");
    }

    private static ObjectNode hi(String extraFields) {
        return chat("[{\"role\": \"user\", \"content\": \"hi\"}]", extraFields);
    }

    private static ObjectNode translate(ObjectNode request, List<String> dropped) {
        return TRANSLATOR.toUpstream(request, sonnet, dropped);
    }

    private static ObjectNode translate(ObjectNode request) {
        return translate(request, new ArrayList<>());
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static ModelSpec withDefaultMaxTokens(ModelSpec m, long defaultMaxTokens) {
        return new ModelSpec(m.id(), m.provider(), m.displayName(), m.upstream(), m.aliases(), m.tiers(),
                m.contextWindow(), m.maxOutputTokens(), m.vision(), m.functionCalling(), m.streaming(), m.category(),
                m.tier(), m.avgLatencyMs(), m.unsupportedParams(), m.maxTokensParam(), defaultMaxTokens);
    }

    // ---- endpoint and auth ---------------------------------------------------------------------

    @Test
    void authenticates_with_x_api_key_and_the_pinned_anthropic_version_on_v1_messages() {
        assertEquals("anthropic", TRANSLATOR.format());
        assertEquals("/v1/messages", TRANSLATOR.chatPath(sonnet));
        Map<String, String> headers = TRANSLATOR.headers("sk-ant-upstream");
        assertEquals(Map.of("x-api-key", "sk-ant-upstream", "anthropic-version", "2023-06-01"), headers);
        assertFalse(headers.keySet().stream().anyMatch(h -> h.equalsIgnoreCase("authorization")));
    }

    @Test
    void model_is_replaced_by_the_catalogs_upstream_snapshot() {
        assertEquals("claude-3-5-sonnet-20241022", translate(hi("")).get("model").asText());
    }

    // ---- system ---------------------------------------------------------------------------------

    @Test
    void system_developer_and_mid_conversation_system_messages_are_lifted_into_the_top_level_system_field() {
        ObjectNode out = translate(chat("""
                [{"role": "system", "content": "You are terse."},
                 {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
                 {"role": "user", "content": "hi"},
                 {"role": "assistant", "content": "bonjour"},
                 {"role": "system", "content": "Now be formal."},
                 {"role": "user", "content": "and now?"}]""", ""));

        assertEquals("You are terse.\n\nAnswer in French.\n\nNow be formal.", out.get("system").asText());
        JsonNode messages = out.get("messages");
        assertEquals(3, messages.size(), messages.toString());
        for (JsonNode m : messages) {
            String role = m.get("role").asText();
            assertTrue(role.equals("user") || role.equals("assistant"), "no system role inside messages: " + m);
        }
        assertEquals("user", messages.get(0).get("role").asText());
        assertEquals("hi", messages.get(0).get("content").get(0).get("text").asText());
        assertEquals("and now?", messages.get(2).get("content").get(0).get("text").asText());
    }

    @Test
    void a_request_without_system_messages_sends_no_system_field() {
        assertFalse(translate(hi("")).has("system"));
    }

    // ---- max_tokens -----------------------------------------------------------------------------

    @Test
    void max_tokens_is_filled_from_the_catalog_default_when_absent() {
        assertEquals(8192, sonnet.defaultMaxTokens(), "pricing/anthropic.yaml: claude-3.5-sonnet default_max_tokens");
        assertEquals(8192, translate(hi("")).get("max_tokens").asLong());

        ModelSpec haiku = catalog.find("claude-3-haiku").orElseThrow();
        assertEquals(4096, TRANSLATOR.toUpstream(hi(""), haiku, new ArrayList<>()).get("max_tokens").asLong());

        ModelSpec custom = withDefaultMaxTokens(sonnet, 1234);
        assertEquals(1234, TRANSLATOR.toUpstream(hi(""), custom, new ArrayList<>()).get("max_tokens").asLong());
    }

    @Test
    void max_tokens_is_taken_from_max_tokens_when_present() {
        ObjectNode out = translate(hi("\"max_tokens\": 300"));
        assertEquals(300, out.get("max_tokens").asLong());
        assertTrue(out.get("max_tokens").isIntegralNumber());
    }

    @Test
    void max_tokens_is_taken_from_max_completion_tokens_when_max_tokens_is_absent() {
        List<String> dropped = new ArrayList<>();
        ObjectNode out = translate(hi("\"max_completion_tokens\": 77"), dropped);
        assertEquals(77, out.get("max_tokens").asLong());
        assertFalse(out.has("max_completion_tokens"), "Anthropic has no max_completion_tokens field");
        assertFalse(dropped.contains("max_completion_tokens"), "it was mapped, not dropped: " + dropped);
    }

    @Test
    void max_tokens_wins_over_max_completion_tokens_when_both_are_sent() {
        assertEquals(50, translate(hi("\"max_tokens\": 50, \"max_completion_tokens\": 900")).get("max_tokens").asLong());
    }

    // ---- turns ----------------------------------------------------------------------------------

    @Test
    void consecutive_same_role_messages_are_merged_into_one_turn() {
        ObjectNode out = translate(chat("""
                [{"role": "user", "content": "first"},
                 {"role": "user", "content": [{"type": "text", "text": "second"}]},
                 {"role": "assistant", "content": "a1"},
                 {"role": "assistant", "content": "a2"},
                 {"role": "user", "content": "third"}]""", ""));
        JsonNode messages = out.get("messages");
        assertEquals(3, messages.size(), messages.toString());
        assertEquals("user", messages.get(0).get("role").asText());
        assertEquals(json("[{\"type\":\"text\",\"text\":\"first\"},{\"type\":\"text\",\"text\":\"second\"}]"),
                messages.get(0).get("content"));
        assertEquals("assistant", messages.get(1).get("role").asText());
        assertEquals(json("[{\"type\":\"text\",\"text\":\"a1\"},{\"type\":\"text\",\"text\":\"a2\"}]"),
                messages.get(1).get("content"));
        assertEquals("user", messages.get(2).get("role").asText());
    }

    // ---- tools in the conversation -------------------------------------------------------------

    @Test
    void assistant_tool_calls_become_tool_use_blocks_with_parsed_input() {
        ObjectNode out = translate(chat("""
                [{"role": "user", "content": "weather in Paris and Rome?"},
                 {"role": "assistant", "content": "Checking both.", "tool_calls": [
                   {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\\"location\\":\\"Paris\\",\\"days\\":2}"}},
                   {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\\"location\\":\\"Rome\\"}"}}]},
                 {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
                 {"role": "tool", "tool_call_id": "call_2", "content": "rain"}]""", ""));
        JsonNode assistant = out.get("messages").get(1);
        assertEquals("assistant", assistant.get("role").asText());
        JsonNode blocks = assistant.get("content");
        assertEquals(3, blocks.size(), blocks.toString());
        assertEquals(json("{\"type\":\"text\",\"text\":\"Checking both.\"}"), blocks.get(0));
        assertEquals(json("{\"type\":\"tool_use\",\"id\":\"call_1\",\"name\":\"get_weather\",\"input\":{\"location\":\"Paris\",\"days\":2}}"),
                blocks.get(1));
        assertTrue(blocks.get(1).get("input").isObject(), "input is a JSON object, not the OpenAI string");
        assertEquals(json("{\"type\":\"tool_use\",\"id\":\"call_2\",\"name\":\"get_weather\",\"input\":{\"location\":\"Rome\"}}"),
                blocks.get(2));
    }

    @Test
    void empty_tool_call_arguments_become_an_empty_input_object() {
        ObjectNode out = translate(chat("""
                [{"role": "user", "content": "what time is it?"},
                 {"role": "assistant", "content": null, "tool_calls": [
                   {"id": "call_t", "type": "function", "function": {"name": "now", "arguments": ""}}]},
                 {"role": "tool", "tool_call_id": "call_t", "content": "12:00"}]""", ""));
        JsonNode blocks = out.get("messages").get(1).get("content");
        assertEquals(1, blocks.size(), "a null content adds no text block: " + blocks);
        assertEquals("tool_use", blocks.get(0).get("type").asText());
        assertEquals(JSON.createObjectNode(), blocks.get(0).get("input"));
    }

    @Test
    void tool_call_arguments_that_are_not_a_json_object_are_refused_naming_the_param() {
        GatewayException e = org.junit.jupiter.api.Assertions.assertThrows(GatewayException.class, () -> translate(chat("""
                [{"role": "user", "content": "x"},
                 {"role": "assistant", "tool_calls": [
                   {"id": "call_x", "type": "function", "function": {"name": "f", "arguments": "[1,2]"}}]},
                 {"role": "tool", "tool_call_id": "call_x", "content": "ok"}]""", "")));
        assertEquals(ErrorType.INVALID_REQUEST, e.type());
        assertEquals("messages[1].tool_calls[0].function.arguments", e.param());
    }

    @Test
    void consecutive_tool_messages_become_one_user_message_of_tool_result_blocks() {
        ObjectNode out = translate(chat("""
                [{"role": "user", "content": "weather in Paris and Rome?"},
                 {"role": "assistant", "tool_calls": [
                   {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}},
                   {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
                 {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
                 {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "rain"}]}]""", ""));
        JsonNode messages = out.get("messages");
        assertEquals(3, messages.size(), messages.toString());
        JsonNode results = messages.get(2);
        assertEquals("user", results.get("role").asText(), "tool results travel in a user message");
        assertEquals(json("""
                [{"type":"tool_result","tool_use_id":"call_1","content":"sunny"},
                 {"type":"tool_result","tool_use_id":"call_2","content":"rain"}]"""), results.get("content"));
    }

    @Test
    void a_user_message_after_tool_results_joins_their_user_turn_after_the_results() {
        ObjectNode out = translate(chat("""
                [{"role": "user", "content": "q"},
                 {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
                 {"role": "tool", "tool_call_id": "call_1", "content": "r"},
                 {"role": "user", "content": "thanks, and?"}]""", ""));
        JsonNode messages = out.get("messages");
        assertEquals(3, messages.size(), messages.toString());
        JsonNode blocks = messages.get(2).get("content");
        assertEquals("tool_result", blocks.get(0).get("type").asText());
        assertEquals("text", blocks.get(1).get("type").asText());
    }

    // ---- images ---------------------------------------------------------------------------------

    @Test
    void https_image_url_becomes_an_image_block_with_a_url_source() {
        ObjectNode out = translate(chat("""
                [{"role": "user", "content": [
                   {"type": "text", "text": "What is this?"},
                   {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "high"}}]}]""", ""));
        JsonNode blocks = out.get("messages").get(0).get("content");
        assertEquals(2, blocks.size());
        assertEquals(json("{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\"https://example.com/cat.png\"}}"), blocks.get(1));
    }

    @Test
    void data_url_image_becomes_a_base64_source_with_its_media_type() {
        ObjectNode out = translate(chat("""
                [{"role": "user", "content": [
                   {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQSkZJRg=="}}]}]""", ""));
        JsonNode image = out.get("messages").get(0).get("content").get(0);
        assertEquals(json("{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/jpeg\",\"data\":\"/9j/4AAQSkZJRg==\"}}"),
                image);
    }

    // ---- sampling and stop ----------------------------------------------------------------------

    @Test
    void stop_string_becomes_a_one_element_stop_sequences_list() {
        ObjectNode out = translate(hi("\"stop\": \"END\""));
        assertEquals(json("[\"END\"]"), out.get("stop_sequences"));
        assertFalse(out.has("stop"));
    }

    @Test
    void stop_list_becomes_stop_sequences() {
        ObjectNode out = translate(hi("\"stop\": [\"END\", \"\\n\\nHuman:\"]"));
        assertEquals(json("[\"END\", \"\\n\\nHuman:\"]"), out.get("stop_sequences"));
        assertFalse(out.has("stop"));
    }

    @Test
    void temperature_above_one_is_clamped_to_one() {
        assertEquals(1.0, translate(hi("\"temperature\": 1.5")).get("temperature").asDouble());
        assertEquals(0.3, translate(hi("\"temperature\": 0.3")).get("temperature").asDouble(), "in-range values are kept");
    }

    @Test
    void top_p_is_dropped_and_named_when_temperature_is_also_set() {
        List<String> dropped = new ArrayList<>();
        ObjectNode out = translate(hi("\"temperature\": 0.5, \"top_p\": 0.9"), dropped);
        assertEquals(0.5, out.get("temperature").asDouble());
        assertFalse(out.has("top_p"));
        assertEquals(List.of("top_p"), dropped);
    }

    @Test
    void top_p_alone_is_passed_through() {
        List<String> dropped = new ArrayList<>();
        ObjectNode out = translate(hi("\"top_p\": 0.9"), dropped);
        assertEquals(0.9, out.get("top_p").asDouble());
        assertTrue(dropped.isEmpty(), dropped.toString());
    }

    @Test
    void frequency_penalty_presence_penalty_seed_n_and_logit_bias_are_dropped_and_named() {
        List<String> dropped = new ArrayList<>();
        ObjectNode out = translate(hi("""
                "frequency_penalty": 0.5, "presence_penalty": -0.5, "seed": 42, "n": 1, "logit_bias": {"50256": -100}"""),
                dropped);
        Set<String> unsupported = Set.of("frequency_penalty", "presence_penalty", "seed", "n", "logit_bias");
        assertEquals(unsupported, Set.copyOf(dropped));
        assertEquals(unsupported.size(), dropped.size(), "each named once: " + dropped);
        for (String p : unsupported) {
            assertFalse(out.has(p), p + " must not reach Anthropic");
        }
    }

    @Test
    void gateway_extension_fields_are_neither_sent_nor_reported_as_dropped() {
        List<String> dropped = new ArrayList<>();
        ObjectNode out = translate(hi("""
                "routing": {"strategy": "cost"}, "budget": {"max_cost": 0.5}, "response": {"include_cost": true}"""), dropped);
        assertFalse(out.has("routing") || out.has("budget") || out.has("response"), out.toString());
        assertTrue(dropped.isEmpty(), dropped.toString());
    }

    @Test
    void user_becomes_metadata_user_id() {
        ObjectNode out = translate(hi("\"user\": \"user-123\""));
        assertEquals(json("{\"user_id\":\"user-123\"}"), out.get("metadata"));
        assertFalse(out.has("user"));
    }

    // ---- tool definitions and choice ------------------------------------------------------------

    private static final String WEATHER_TOOL = """
            "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                       "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}]""";

    @Test
    void tools_become_name_description_and_input_schema() {
        ObjectNode out = translate(hi(WEATHER_TOOL));
        assertEquals(json("""
                [{"name": "get_weather", "description": "Weather for a city",
                  "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}]"""),
                out.get("tools"));
        assertFalse(out.has("tool_choice"), "no tool_choice asked, none sent");
    }

    @ParameterizedTest
    @CsvSource({"auto, auto", "required, any", "none, none"})
    void tool_choice_words_map_to_anthropic_types(String openAi, String anthropic) {
        ObjectNode out = translate(hi(WEATHER_TOOL + ", \"tool_choice\": \"" + openAi + "\""));
        assertEquals(json("{\"type\":\"" + anthropic + "\"}"), out.get("tool_choice"));
    }

    @Test
    void named_function_tool_choice_becomes_type_tool_with_its_name() {
        ObjectNode out = translate(hi(WEATHER_TOOL + ", \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}"));
        assertEquals(json("{\"type\":\"tool\",\"name\":\"get_weather\"}"), out.get("tool_choice"));
    }

    @Test
    void parallel_tool_calls_false_sets_disable_parallel_tool_use() {
        ObjectNode out = translate(hi(WEATHER_TOOL + ", \"parallel_tool_calls\": false"));
        assertEquals(json("{\"type\":\"auto\",\"disable_parallel_tool_use\":true}"), out.get("tool_choice"));

        ObjectNode named = translate(hi(WEATHER_TOOL
                + ", \"parallel_tool_calls\": false, \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}"));
        assertEquals(json("{\"type\":\"tool\",\"name\":\"get_weather\",\"disable_parallel_tool_use\":true}"), named.get("tool_choice"));
    }

    @Test
    void parallel_tool_calls_false_is_not_put_on_tool_choice_none() {
        ObjectNode out = translate(hi(WEATHER_TOOL + ", \"parallel_tool_calls\": false, \"tool_choice\": \"none\""));
        assertEquals(json("{\"type\":\"none\"}"), out.get("tool_choice"));
    }

    // ---- response -------------------------------------------------------------------------------

    @Test
    void text_response_becomes_one_assistant_choice() {
        Completion r = TRANSLATOR.fromUpstream(json("""
                {"id": "msg_01abc", "type": "message", "role": "assistant", "model": "claude-3-5-sonnet-20241022",
                 "content": [{"type": "text", "text": "Paris"}, {"type": "text", "text": " is the capital."}],
                 "stop_reason": "end_turn", "stop_sequence": null,
                 "usage": {"input_tokens": 26, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 10}}"""),
                sonnet);
        assertEquals("msg_01abc", r.id());
        assertEquals("claude-3-5-sonnet-20241022", r.upstreamModel());
        assertEquals(1, r.choices().size());
        JsonNode choice = r.choices().get(0);
        assertEquals(0, choice.get("index").asInt());
        assertEquals("assistant", choice.get("message").get("role").asText());
        assertEquals("Paris is the capital.", choice.get("message").get("content").asText());
        assertFalse(choice.get("message").has("tool_calls"));
        assertEquals("stop", choice.get("finish_reason").asText());
        assertTrue(r.created() > 0);
    }

    @Test
    void tool_use_response_keeps_the_text_preamble_and_sends_arguments_as_a_json_string() throws Exception {
        Completion r = TRANSLATOR.fromUpstream(json("""
                {"id": "msg_01tool", "type": "message", "role": "assistant", "model": "claude-3-5-sonnet-20241022",
                 "content": [{"type": "text", "text": "Let me check."},
                             {"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {"location": "Paris", "unit": "c"}},
                             {"type": "tool_use", "id": "toolu_01B", "name": "now", "input": {}}],
                 "stop_reason": "tool_use",
                 "usage": {"input_tokens": 400, "output_tokens": 30}}"""), sonnet);
        JsonNode choice = r.choices().get(0);
        JsonNode message = choice.get("message");
        assertEquals("Let me check.", message.get("content").asText(), "the preamble is not lost");
        assertEquals("tool_calls", choice.get("finish_reason").asText());
        JsonNode calls = message.get("tool_calls");
        assertEquals(2, calls.size());
        JsonNode first = calls.get(0);
        assertEquals("toolu_01A", first.get("id").asText());
        assertEquals("function", first.get("type").asText());
        assertEquals("get_weather", first.get("function").get("name").asText());
        assertTrue(first.get("function").get("arguments").isTextual(), "OpenAI arguments are a JSON string");
        assertEquals(json("{\"location\":\"Paris\",\"unit\":\"c\"}"), JSON.readTree(first.get("function").get("arguments").asText()));
        assertEquals("{}", calls.get(1).get("function").get("arguments").asText());
    }

    @Test
    void tool_use_response_without_text_has_null_content() {
        Completion r = TRANSLATOR.fromUpstream(json("""
                {"id": "msg_01", "content": [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}}],
                 "stop_reason": "tool_use", "usage": {"input_tokens": 1, "output_tokens": 1}}"""), sonnet);
        assertTrue(r.choices().get(0).get("message").get("content").isNull());
    }

    @ParameterizedTest
    @CsvSource({"end_turn, stop", "stop_sequence, stop", "pause_turn, stop", "max_tokens, length",
            "model_context_window_exceeded, length", "tool_use, tool_calls", "refusal, content_filter"})
    void stop_reason_maps_to_the_openai_finish_reason(String stopReason, String finishReason) {
        Completion r = TRANSLATOR.fromUpstream(json("""
                {"id": "msg_01", "content": [{"type": "text", "text": "x"}], "stop_reason": "%s",
                 "usage": {"input_tokens": 1, "output_tokens": 1}}""".formatted(stopReason)), sonnet);
        assertEquals(finishReason, r.choices().get(0).get("finish_reason").asText());
    }

    @Test
    void usage_keeps_input_cache_read_and_cache_write_in_separate_buckets_that_sum_to_prompt_tokens() {
        Completion r = TRANSLATOR.fromUpstream(json("""
                {"id": "msg_01", "content": [{"type": "text", "text": "x"}], "stop_reason": "end_turn",
                 "usage": {"input_tokens": 100, "cache_read_input_tokens": 2000, "cache_creation_input_tokens": 300,
                           "cache_creation": {"ephemeral_5m_input_tokens": 300, "ephemeral_1h_input_tokens": 0},
                           "output_tokens": 50}}"""), sonnet);
        Usage u = r.usage();
        assertEquals(100, u.uncachedInput(), "Anthropic input_tokens excludes cache reads and writes");
        assertEquals(2000, u.cacheRead());
        assertEquals(300, u.cacheWrite());
        assertEquals(2400, u.promptTokens(), "prompt_tokens = input + cache_read + cache_write");
        assertEquals(50, u.completionTokens());
        assertEquals(2450, u.totalTokens());
        assertFalse(u.estimated());
    }

    @Test
    void usage_without_cache_fields_counts_zero_cache_tokens() {
        Usage u = TRANSLATOR.fromUpstream(json("""
                {"id": "msg_01", "content": [{"type": "text", "text": "x"}], "stop_reason": "end_turn",
                 "usage": {"input_tokens": 12, "output_tokens": 3}}"""), sonnet).usage();
        assertEquals(new Usage(12, 0, 0, 3, 0, false), u);
    }

    // ---- errors ---------------------------------------------------------------------------------

    private static JsonNode anthropicError(String type, String message) {
        return json("{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"" + message + "\"},\"request_id\":\"req_011C1\"}");
    }

    @Test
    void upstream_429_is_rate_limit_error_keeping_retry_after() {
        GatewayException e = TRANSLATOR.toError(429, anthropicError("rate_limit_error", "Number of request tokens has exceeded your rate limit."),
                Map.of("retry-after", "17"), "anthropic");
        assertEquals(ErrorType.RATE_LIMIT, e.type());
        assertEquals(429, e.status());
        assertEquals("17", e.headers().get("Retry-After"));
        assertEquals("Number of request tokens has exceeded your rate limit.", e.getMessage());
        assertEquals("anthropic", e.provider());
        assertEquals(429, e.upstreamStatus());
    }

    @Test
    void upstream_529_overloaded_is_503_provider_error() {
        GatewayException e = TRANSLATOR.toError(529, anthropicError("overloaded_error", "Overloaded"), Map.of(), "anthropic");
        assertEquals(ErrorType.PROVIDER, e.type());
        assertEquals(503, e.status());
        assertEquals("overloaded_error", e.code());
        assertEquals(529, e.upstreamStatus());
    }

    @Test
    void upstream_400_is_400_invalid_request_error_with_the_upstream_message() {
        GatewayException e = TRANSLATOR.toError(400,
                anthropicError("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"), Map.of(), "anthropic");
        assertEquals(ErrorType.INVALID_REQUEST, e.type());
        assertEquals(400, e.status());
        assertEquals("prompt is too long: 210000 tokens > 200000 maximum", e.getMessage());
        assertEquals("anthropic", e.provider());
    }

    @Test
    void upstream_401_is_502_provider_error_because_the_gateways_own_key_is_wrong() {
        GatewayException e = TRANSLATOR.toError(401, anthropicError("authentication_error", "invalid x-api-key"), Map.of(), "anthropic");
        assertEquals(ErrorType.PROVIDER, e.type());
        assertEquals(502, e.status());
        assertEquals(401, e.upstreamStatus());
        assertTrue(e.headers().isEmpty());
    }

    @Test
    void upstream_error_without_a_json_body_still_gets_a_message() {
        GatewayException e = TRANSLATOR.toError(500, JSON.createObjectNode(), Map.of(), "anthropic");
        assertEquals(502, e.status());
        assertNotNull(e.getMessage());
        assertTrue(e.getMessage().contains("500"), e.getMessage());
        assertNull(e.param());
    }
}
