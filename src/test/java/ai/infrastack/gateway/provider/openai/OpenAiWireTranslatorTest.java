package ai.infrastack.gateway.provider.openai;

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
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAI-format translation (OpenAI itself and OpenAI-compatible hosts), called directly:
 * pass-through minus the gateway's extensions, the catalog's per-model quirks (providers.md §2.2),
 * usage normalisation (§0.1), finish reasons (§0.2) and error envelopes (§2.6, Mistral §5.4).
 */
class OpenAiWireTranslatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final OpenAiWireTranslator TRANSLATOR = new OpenAiWireTranslator();
    private static ModelCatalog catalog;
    private static ModelSpec gpt4o;

    @BeforeAll
    static void loadCatalog() {
        catalog = ModelCatalog.load(Path.of("pricing"));
        gpt4o = catalog.find("gpt-4o").orElseThrow();
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static ObjectNode chat(String model, String extraFields) {
        return (ObjectNode) json("{\"model\": \"" + model + "\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]"
                + (extraFields.isEmpty() ? "" : ", " + extraFields) + "}");
    }

    /** A catalog entry whose gateway id differs from the vendor's model name. */
    private static ModelSpec renamed(ModelSpec m, String id, String upstream) {
        return new ModelSpec(id, m.provider(), m.displayName(), upstream, List.of(), m.tiers(), m.contextWindow(),
                m.maxOutputTokens(), m.vision(), m.functionCalling(), m.streaming(), m.category(), m.tier(),
                m.avgLatencyMs(), m.unsupportedParams(), m.maxTokensParam(), m.defaultMaxTokens());
    }

    // ---- request --------------------------------------------------------------------------------

    @Test
    void authenticates_with_a_bearer_token_on_chat_completions() {
        assertEquals("openai", TRANSLATOR.format());
        assertEquals("/chat/completions", TRANSLATOR.chatPath(gpt4o));
        assertEquals(Map.of("Authorization", "Bearer sk-upstream"), TRANSLATOR.headers("sk-upstream"));
    }

    @Test
    void gateway_extension_fields_routing_budget_and_response_are_never_sent() {
        List<String> dropped = new ArrayList<>();
        ObjectNode out = TRANSLATOR.toUpstream(chat("gpt-4o", """
                "routing": {"strategy": "cost", "fallback_models": ["gpt-4o-mini"]},
                "budget": {"max_cost": 0.01, "tracking_id": "t-1"},
                "response": {"include_cost": true, "include_latency": true}"""), gpt4o, dropped);
        assertFalse(out.has("routing"), out.toString());
        assertFalse(out.has("budget"), out.toString());
        assertFalse(out.has("response"), out.toString());
        assertTrue(dropped.isEmpty(), "gateway fields are consumed, not dropped: " + dropped);
    }

    @Test
    void openai_parameters_pass_through_unchanged_for_a_chat_model() {
        List<String> dropped = new ArrayList<>();
        ObjectNode request = chat("gpt-4o", """
                "temperature": 0.7, "top_p": 0.9, "max_tokens": 100, "frequency_penalty": 0.5, "presence_penalty": 0.2,
                "stop": ["END"], "seed": 7, "n": 2, "logit_bias": {"50256": -100}, "user": "u-1",
                "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
                "tool_choice": {"type": "function", "function": {"name": "f"}}, "parallel_tool_calls": false""");
        ObjectNode out = TRANSLATOR.toUpstream(request, gpt4o, dropped);
        for (String p : List.of("messages", "temperature", "top_p", "max_tokens", "frequency_penalty", "presence_penalty",
                "stop", "seed", "n", "logit_bias", "user", "tools", "tool_choice", "parallel_tool_calls")) {
            assertEquals(request.get(p), out.get(p), p);
        }
        assertTrue(dropped.isEmpty(), dropped.toString());
        assertFalse(out.has("max_completion_tokens"));
    }

    @Test
    void model_is_replaced_by_the_catalogs_upstream_name() {
        ModelSpec pinned = renamed(gpt4o, "my-gpt", "gpt-4o-2024-08-06");
        ObjectNode out = TRANSLATOR.toUpstream(chat("my-gpt", ""), pinned, new ArrayList<>());
        assertEquals("gpt-4o-2024-08-06", out.get("model").asText());
    }

    @Test
    void the_client_request_object_is_not_modified() {
        ObjectNode request = chat("gpt-5", "\"max_tokens\": 10, \"temperature\": 0.2, \"routing\": {\"strategy\": \"cost\"}");
        ObjectNode before = request.deepCopy();
        TRANSLATOR.toUpstream(request, catalog.find("gpt-5").orElseThrow(), new ArrayList<>());
        assertEquals(before, request, "a retry or fallback must see the client's original request");
    }

    @Test
    void stream_is_forced_off_and_stream_options_removed() {
        ObjectNode out = TRANSLATOR.toUpstream(chat("gpt-4o", "\"stream_options\": {\"include_usage\": true}"), gpt4o, new ArrayList<>());
        assertFalse(out.has("stream_options"));
        assertEquals(false, out.get("stream").asBoolean(true));
    }

    @ParameterizedTest
    @ValueSource(strings = {"o1", "o3", "o4-mini", "gpt-5", "gpt-5-mini"})
    void reasoning_models_get_max_tokens_renamed_to_max_completion_tokens(String modelId) {
        ModelSpec model = catalog.find(modelId).orElseThrow();
        assertEquals("max_completion_tokens", model.maxTokensParam(), "pricing/openai.yaml quirk for " + modelId);
        List<String> dropped = new ArrayList<>();
        ObjectNode out = TRANSLATOR.toUpstream(chat(modelId, "\"max_tokens\": 256"), model, dropped);
        assertFalse(out.has("max_tokens"), out.toString());
        assertEquals(256, out.get("max_completion_tokens").asInt());
        assertFalse(dropped.contains("max_tokens"), "renamed, not dropped: " + dropped);
    }

    @Test
    void an_explicit_max_completion_tokens_wins_over_a_renamed_max_tokens() {
        ModelSpec gpt5 = catalog.find("gpt-5").orElseThrow();
        ObjectNode out = TRANSLATOR.toUpstream(chat("gpt-5", "\"max_tokens\": 10, \"max_completion_tokens\": 500"), gpt5, new ArrayList<>());
        assertFalse(out.has("max_tokens"));
        assertEquals(500, out.get("max_completion_tokens").asInt());
    }

    @Test
    void reasoning_models_drop_and_name_the_sampling_parameters_they_refuse() {
        ModelSpec o3 = catalog.find("o3").orElseThrow();
        List<String> dropped = new ArrayList<>();
        ObjectNode out = TRANSLATOR.toUpstream(chat("o3", """
                "temperature": 0.2, "top_p": 0.5, "frequency_penalty": 1, "presence_penalty": 1, "seed": 3"""), o3, dropped);
        Set<String> refused = Set.of("temperature", "top_p", "frequency_penalty", "presence_penalty");
        assertEquals(refused, Set.copyOf(dropped));
        for (String p : refused) {
            assertFalse(out.has(p), p);
        }
        assertEquals(3, out.get("seed").asInt(), "parameters the model accepts still pass");
    }

    // ---- response -------------------------------------------------------------------------------

    private static Completion respond(String usage, String finishReason) {
        return TRANSLATOR.fromUpstream(json("""
                {"id": "chatcmpl-1", "object": "chat.completion", "created": 1785585600, "model": "gpt-4o-2024-08-06",
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello", "refusal": null},
                              "logprobs": null, "finish_reason": "%s"}],
                 "usage": %s}""".formatted(finishReason, usage)), gpt4o);
    }

    @Test
    void response_keeps_id_created_model_and_message() {
        Completion r = respond("{\"prompt_tokens\": 5, \"completion_tokens\": 2}", "stop");
        assertEquals("chatcmpl-1", r.id());
        assertEquals(1785585600L, r.created());
        assertEquals("gpt-4o-2024-08-06", r.upstreamModel());
        assertEquals("hello", r.choices().get(0).get("message").get("content").asText());
        assertEquals("stop", r.choices().get(0).get("finish_reason").asText());
    }

    @Test
    void cached_tokens_counted_inside_prompt_tokens_land_in_the_cache_read_bucket() {
        Usage u = respond("""
                {"prompt_tokens": 2085, "completion_tokens": 40, "total_tokens": 2125,
                 "prompt_tokens_details": {"cached_tokens": 1920, "audio_tokens": 0}}""", "stop").usage();
        assertEquals(1920, u.cacheRead());
        assertEquals(165, u.uncachedInput(), "uncached = prompt_tokens - cached_tokens");
        assertEquals(0, u.cacheWrite());
        assertEquals(2085, u.promptTokens(), "the buckets add back up to OpenAI's prompt_tokens, not more");
        assertEquals(40, u.completionTokens());
        assertEquals(2125, u.totalTokens());
    }

    @Test
    void top_level_cached_tokens_of_openai_compatible_hosts_are_read_too() {
        Usage u = respond("{\"prompt_tokens\": 300, \"completion_tokens\": 1, \"cached_tokens\": 100}", "stop").usage();
        assertEquals(100, u.cacheRead());
        assertEquals(200, u.uncachedInput());
    }

    @Test
    void reasoning_tokens_are_reported_inside_completion_tokens() {
        Usage u = respond("""
                {"prompt_tokens": 10, "completion_tokens": 500,
                 "completion_tokens_details": {"reasoning_tokens": 448}}""", "stop").usage();
        assertEquals(500, u.output(), "reasoning is already inside completion_tokens, not added on top");
        assertEquals(448, u.reasoning());
        assertEquals(510, u.totalTokens());
    }

    @ParameterizedTest
    @CsvSource({"stop, stop", "length, length", "tool_calls, tool_calls", "content_filter, content_filter",
            "eos, stop", "model_length, length"})
    void finish_reasons_of_openai_compatible_hosts_are_normalised(String upstream, String expected) {
        assertEquals(expected, respond("{\"prompt_tokens\": 1, \"completion_tokens\": 1}", upstream)
                .choices().get(0).get("finish_reason").asText());
    }

    @Test
    void tool_call_response_passes_through_with_null_content() {
        Completion r = TRANSLATOR.fromUpstream(json("""
                {"id": "chatcmpl-2", "created": 1, "model": "gpt-4o",
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "tool_calls": [
                   {"id": "call_abc", "type": "function", "function": {"name": "f", "arguments": "{\\"a\\":1}"}}]},
                   "finish_reason": "tool_calls"}],
                 "usage": {"prompt_tokens": 1, "completion_tokens": 1}}"""), gpt4o);
        JsonNode message = r.choices().get(0).get("message");
        assertTrue(message.get("content").isNull());
        assertTrue(message.get("refusal").isNull());
        assertEquals("{\"a\":1}", message.get("tool_calls").get(0).get("function").get("arguments").asText());
        assertEquals("tool_calls", r.choices().get(0).get("finish_reason").asText());
    }

    // ---- errors ---------------------------------------------------------------------------------

    @Test
    void openai_error_envelope_keeps_message_and_code() {
        GatewayException e = TRANSLATOR.toError(429, json("""
                {"error": {"message": "Rate limit reached for gpt-4o", "type": "tokens", "param": null, "code": "rate_limit_exceeded"}}"""),
                Map.of("retry-after", "3"), "openai");
        assertEquals(ErrorType.RATE_LIMIT, e.type());
        assertEquals(429, e.status());
        assertEquals("Rate limit reached for gpt-4o", e.getMessage());
        assertEquals("rate_limit_exceeded", e.code());
        assertEquals("3", e.headers().get("Retry-After"));
        assertEquals("openai", e.provider());
    }

    @Test
    void mistral_style_top_level_error_message_is_kept() {
        GatewayException e = TRANSLATOR.toError(400, json("""
                {"object": "error", "message": "Invalid model: mistral-huge", "type": "invalid_model", "param": null, "code": "1500"}"""),
                Map.of(), "mistral");
        assertEquals(ErrorType.INVALID_REQUEST, e.type());
        assertEquals(400, e.status());
        assertEquals("Invalid model: mistral-huge", e.getMessage());
        assertEquals("mistral", e.provider());
    }

    @Test
    void string_error_and_detail_bodies_are_kept_as_the_message() {
        assertEquals("Model overloaded", TRANSLATOR.toError(503, json("{\"error\": \"Model overloaded\"}"), Map.of(), "together").getMessage());
        GatewayException unauthorized = TRANSLATOR.toError(401, json("{\"detail\": \"Unauthorized\"}"), Map.of(), "mistral");
        assertEquals("Unauthorized", unauthorized.getMessage());
        assertEquals(502, unauthorized.status(), "a bad upstream key is the gateway's problem, not the client's");
        assertEquals(ErrorType.PROVIDER, unauthorized.type());
    }

    // ---- upstream timing ------------------------------------------------------------------------

    @Test
    void openai_processing_ms_header_is_parsed() {
        assertEquals(412, TRANSLATOR.upstreamProcessingMs(Map.of("openai-processing-ms", "412")));
        assertEquals(13, TRANSLATOR.upstreamProcessingMs(Map.of("openai-processing-ms", "12.6")));
    }

    @Test
    void missing_or_malformed_openai_processing_ms_is_minus_one() {
        assertEquals(-1, TRANSLATOR.upstreamProcessingMs(Map.of()));
        assertEquals(-1, TRANSLATOR.upstreamProcessingMs(Map.of("openai-processing-ms", "soon")));
    }
}
