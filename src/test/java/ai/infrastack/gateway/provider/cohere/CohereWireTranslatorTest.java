package ai.infrastack.gateway.provider.cohere;

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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAI → Cohere Chat v2 translation, called directly (no network): the request mapping of
 * shared/reference/providers.md §6.2, the response of §6.3, the finish reasons of §0.2, billing on
 * billed_units (§0.1) and the errors of §6.5.
 */
class CohereWireTranslatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CohereWireTranslator TRANSLATOR = new CohereWireTranslator();
    private static ModelSpec commandRPlus;

    @BeforeAll
    static void loadCatalog() {
        commandRPlus = ModelCatalog.load(Path.of("pricing")).find("command-r-plus").orElseThrow();
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static ObjectNode chat(String messages, String extraFields) {
        return (ObjectNode) json("{\"model\": \"command-r-plus\", \"messages\": " + messages
                + (extraFields.isEmpty() ? "" : ", " + extraFields) + "}");
    }

    private static ObjectNode hi(String extraFields) {
        return chat("[{\"role\": \"user\", \"content\": \"hi\"}]", extraFields);
    }

    private static ObjectNode translate(ObjectNode request, List<String> dropped) {
        return TRANSLATOR.toUpstream(request, commandRPlus, dropped);
    }

    private static ObjectNode translate(ObjectNode request) {
        return translate(request, new ArrayList<>());
    }

    // ---- endpoint and auth ----------------------------------------------------------------------

    @Test
    void chat_goes_to_v2_chat_with_a_bearer_token() {
        assertEquals("cohere", TRANSLATOR.format());
        assertEquals("/v2/chat", TRANSLATOR.chatPath(commandRPlus));
        assertEquals(Map.of("Authorization", "Bearer co-upstream"), TRANSLATOR.headers("co-upstream"));
    }

    @Test
    void the_model_is_the_catalogs_dated_upstream_name() {
        assertEquals("command-r-plus-08-2024", translate(hi("")).get("model").asText());
    }

    // ---- parameters -----------------------------------------------------------------------------

    @Test
    void top_p_becomes_p_and_top_k_becomes_k() {
        ObjectNode out = translate(hi("\"top_p\": 0.75, \"top_k\": 40"));
        assertEquals(0.75, out.get("p").asDouble());
        assertEquals(40, out.get("k").asInt());
        assertFalse(out.has("top_p"), out.toString());
        assertFalse(out.has("top_k"), out.toString());
    }

    @ParameterizedTest
    @CsvSource({"1.0, 0.99", "0.999, 0.99", "0, 0.01", "0.001, 0.01", "0.5, 0.5", "0.99, 0.99", "0.01, 0.01"})
    void p_is_clamped_into_cohere_range(double topP, double p) {
        assertEquals(p, translate(hi("\"top_p\": " + topP)).get("p").asDouble(), 1e-9);
    }

    @Test
    void stop_becomes_stop_sequences_from_a_string_or_a_list() {
        ObjectNode single = translate(hi("\"stop\": \"END\""));
        assertEquals(json("[\"END\"]"), single.get("stop_sequences"));
        assertFalse(single.has("stop"));
        assertEquals(json("[\"A\", \"B\"]"), translate(hi("\"stop\": [\"A\", \"B\"]")).get("stop_sequences"));
    }

    @Test
    void max_tokens_or_max_completion_tokens_becomes_max_tokens() {
        assertEquals(300, translate(hi("\"max_tokens\": 300")).get("max_tokens").asInt());
        ObjectNode out = translate(hi("\"max_completion_tokens\": 200"));
        assertEquals(200, out.get("max_tokens").asInt());
        assertFalse(out.has("max_completion_tokens"), out.toString());
    }

    @Test
    void temperature_penalties_and_seed_keep_their_names() {
        ObjectNode out = translate(hi("\"temperature\": 0.4, \"frequency_penalty\": 0.5, \"presence_penalty\": 0.2, \"seed\": 9"));
        assertEquals(0.4, out.get("temperature").asDouble());
        assertEquals(0.5, out.get("frequency_penalty").asDouble());
        assertEquals(0.2, out.get("presence_penalty").asDouble());
        assertEquals(9, out.get("seed").asInt());
    }

    @Test
    void n_user_and_logit_bias_are_dropped_and_named() {
        List<String> dropped = new ArrayList<>();
        ObjectNode out = translate(hi("\"n\": 2, \"user\": \"u-1\", \"logit_bias\": {\"1\": 5}, \"temperature\": 0.1"), dropped);
        assertTrue(dropped.containsAll(List.of("n", "user", "logit_bias")), dropped.toString());
        assertFalse(dropped.contains("temperature"), dropped.toString());
        assertFalse(out.has("n") || out.has("user") || out.has("logit_bias"), out.toString());
    }

    @Test
    void gateway_extension_fields_are_neither_sent_nor_reported_as_dropped() {
        List<String> dropped = new ArrayList<>();
        ObjectNode out = translate(hi("\"routing\": {\"strategy\": \"cost\"}, \"budget\": {\"max_cost\": 1}, \"response\": {\"include_cost\": true}"), dropped);
        assertTrue(dropped.isEmpty(), dropped.toString());
        assertFalse(out.has("routing") || out.has("budget") || out.has("response"), out.toString());
    }

    // ---- tools ----------------------------------------------------------------------------------

    private static final String TOOLS = """
            "tools": [
              {"type": "function", "function": {"name": "get_weather", "description": "Weather",
                "parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}},
              {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}}]""";

    @Test
    void tools_pass_in_openai_shape() {
        ObjectNode request = hi(TOOLS);
        ObjectNode out = translate(request);
        assertEquals(request.get("tools"), out.get("tools"));
        assertFalse(out.has("tool_choice"), "no tool_choice means auto: " + out);
    }

    @ParameterizedTest
    @CsvSource({"required, REQUIRED", "none, NONE"})
    void required_and_none_tool_choice_are_uppercased(String choice, String cohere) {
        ObjectNode out = translate(hi(TOOLS + ", \"tool_choice\": \"" + choice + "\""));
        assertEquals(cohere, out.get("tool_choice").asText());
        assertEquals(2, out.get("tools").size());
    }

    @Test
    void auto_tool_choice_is_left_out() {
        ObjectNode out = translate(hi(TOOLS + ", \"tool_choice\": \"auto\""));
        assertFalse(out.has("tool_choice"), "Cohere knows only REQUIRED and NONE: " + out);
        assertEquals(2, out.get("tools").size());
    }

    @Test
    void a_named_tool_choice_offers_only_that_tool_and_requires_it() {
        ObjectNode out = translate(hi(TOOLS + ", \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_time\"}}"));
        assertEquals("REQUIRED", out.get("tool_choice").asText());
        assertEquals(1, out.get("tools").size(), out.get("tools").toString());
        assertEquals("get_time", out.get("tools").get(0).get("function").get("name").asText());
    }

    private static final String TOOL_ROUND_TRIP = """
            [{"role": "system", "content": "You help."},
             {"role": "user", "content": "weather in Toronto?"},
             {"role": "assistant", "content": "I will look up the weather.", "tool_calls": [
                {"id": "get_weather_k88p0m8504w5", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{\\"location\\":\\"Toronto\\"}"}}]},
             {"role": "tool", "tool_call_id": "get_weather_k88p0m8504w5", "content": "-5C"}]""";

    @Test
    void assistant_tool_calls_stay_in_openai_shape_with_the_text_as_tool_plan() {
        JsonNode messages = translate(chat(TOOL_ROUND_TRIP, TOOLS)).get("messages");
        assertEquals(4, messages.size(), messages.toString());
        assertEquals("system", messages.get(0).get("role").asText());
        assertEquals("You help.", messages.get(0).get("content").asText());
        JsonNode assistant = messages.get(2);
        assertEquals("assistant", assistant.get("role").asText());
        assertEquals("I will look up the weather.", assistant.get("tool_plan").asText());
        assertFalse(assistant.has("content"), "the text goes into tool_plan, not content: " + assistant);
        JsonNode call = assistant.get("tool_calls").get(0);
        assertEquals("get_weather_k88p0m8504w5", call.get("id").asText());
        assertEquals("function", call.get("type").asText());
        assertEquals("get_weather", call.get("function").get("name").asText());
        assertEquals("{\"location\":\"Toronto\"}", call.get("function").get("arguments").asText(), "arguments stay a JSON string");
    }

    @Test
    void a_tool_message_keeps_its_tool_call_id() {
        JsonNode tool = translate(chat(TOOL_ROUND_TRIP, TOOLS)).get("messages").get(3);
        assertEquals("tool", tool.get("role").asText());
        assertEquals("get_weather_k88p0m8504w5", tool.get("tool_call_id").asText());
        assertEquals("-5C", tool.get("content").asText());
    }

    @Test
    void the_client_request_object_is_not_modified() {
        ObjectNode request = chat(TOOL_ROUND_TRIP, TOOLS + ", \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_time\"}}, \"top_p\": 1");
        ObjectNode before = request.deepCopy();
        translate(request);
        assertEquals(before, request);
    }

    // ---- response -------------------------------------------------------------------------------

    private static Completion respond(String body) {
        return TRANSLATOR.fromUpstream(json(body), commandRPlus);
    }

    private static final String USAGE = """
            {"billed_units": {"input_tokens": 17, "output_tokens": 8}, "tokens": {"input_tokens": 83, "output_tokens": 10}, "cached_tokens": 0}""";

    @Test
    void text_parts_are_joined_into_the_content() {
        Completion r = respond("""
                {"id": "c0ffee", "finish_reason": "COMPLETE",
                 "message": {"role": "assistant", "content": [{"type": "text", "text": "The capital "}, {"type": "text", "text": "is Paris."}]},
                 "usage": %s}""".formatted(USAGE));
        JsonNode choice = r.choices().get(0);
        assertEquals("The capital is Paris.", choice.get("message").get("content").asText());
        assertEquals("assistant", choice.get("message").get("role").asText());
        assertEquals("stop", choice.get("finish_reason").asText());
        assertEquals("c0ffee", r.id());
        assertEquals("command-r-plus-08-2024", r.upstreamModel(), "Cohere's response names no model: the request's is used");
    }

    @Test
    void tool_calls_come_back_with_the_tool_plan_as_content() {
        Completion r = respond("""
                {"id": "t1", "finish_reason": "TOOL_CALL",
                 "message": {"role": "assistant", "tool_plan": "I will check the weather.",
                   "tool_calls": [{"id": "get_weather_k88p0m8504w5", "type": "function",
                                   "function": {"name": "get_weather", "arguments": "{\\"location\\":\\"Toronto\\"}"}}]},
                 "usage": %s}""".formatted(USAGE));
        JsonNode choice = r.choices().get(0);
        JsonNode message = choice.get("message");
        assertEquals("I will check the weather.", message.get("content").asText());
        JsonNode call = message.get("tool_calls").get(0);
        assertEquals("get_weather_k88p0m8504w5", call.get("id").asText());
        assertEquals("function", call.get("type").asText());
        assertEquals("get_weather", call.get("function").get("name").asText());
        assertEquals("{\"location\":\"Toronto\"}", call.get("function").get("arguments").asText());
        assertEquals("tool_calls", choice.get("finish_reason").asText());
    }

    @Test
    void tool_calls_without_a_plan_have_null_content() {
        Completion r = respond("""
                {"id": "t2", "finish_reason": "TOOL_CALL",
                 "message": {"role": "assistant",
                   "tool_calls": [{"id": "get_time_0a1b2c3d4e5f", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}]},
                 "usage": %s}""".formatted(USAGE));
        JsonNode message = r.choices().get(0).get("message");
        assertTrue(message.get("content").isNull(), "OpenAI shape: null content beside tool_calls, not \"\": " + message);
        assertEquals("get_time_0a1b2c3d4e5f", message.get("tool_calls").get(0).get("id").asText());
    }

    @ParameterizedTest
    @CsvSource({"COMPLETE, stop", "STOP_SEQUENCE, stop", "MAX_TOKENS, length", "TOOL_CALL, tool_calls"})
    void finish_reasons_are_mapped(String cohere, String openai) {
        Completion r = respond("""
                {"id": "f", "finish_reason": "%s", "message": {"role": "assistant", "content": [{"type": "text", "text": "x"}]},
                 "usage": %s}""".formatted(cohere, USAGE));
        assertEquals(openai, r.choices().get(0).get("finish_reason").asText());
    }

    @ParameterizedTest
    @ValueSource(strings = {"ERROR", "TIMEOUT"})
    void a_generation_that_ended_in_error_is_a_provider_error(String reason) {
        GatewayException e = assertThrows(GatewayException.class, () -> respond("""
                {"id": "e", "finish_reason": "%s", "message": {"role": "assistant", "content": []}, "usage": %s}""".formatted(reason, USAGE)));
        assertEquals(ErrorType.PROVIDER, e.type());
        assertEquals("provider_error", e.type().wireName());
        assertEquals(502, e.status());
        assertEquals("cohere", e.provider());
    }

    @Test
    void usage_is_billed_on_billed_units_not_tokens() {
        Usage u = respond("""
                {"id": "u", "finish_reason": "COMPLETE", "message": {"role": "assistant", "content": [{"type": "text", "text": "x"}]},
                 "usage": %s}""".formatted(USAGE)).usage();
        assertEquals(17, u.promptTokens(), "billed_units.input_tokens, not tokens.input_tokens (83, with the template)");
        assertEquals(17, u.uncachedInput());
        assertEquals(8, u.output(), "billed_units.output_tokens, not tokens.output_tokens (10)");
        assertEquals(25, u.totalTokens());
        assertEquals(0, u.reasoning());
    }

    @Test
    void cached_tokens_are_reported_as_cache_reads_within_the_billed_input() {
        Usage u = respond("""
                {"id": "u", "finish_reason": "COMPLETE", "message": {"role": "assistant", "content": [{"type": "text", "text": "x"}]},
                 "usage": {"billed_units": {"input_tokens": 1000, "output_tokens": 5}, "tokens": {"input_tokens": 1100, "output_tokens": 6},
                           "cached_tokens": 400}}""").usage();
        assertEquals(400, u.cacheRead());
        assertEquals(600, u.uncachedInput());
        assertEquals(1000, u.promptTokens());
        assertEquals(5, u.output());
    }

    // ---- errors ---------------------------------------------------------------------------------

    @Test
    void a_429_is_a_rate_limit_error() {
        GatewayException e = TRANSLATOR.toError(429, json("""
                {"id": "x", "message": "You are using a Trial key, which is limited to 20 API calls / minute."}"""),
                Map.of(), "cohere");
        assertEquals(ErrorType.RATE_LIMIT, e.type());
        assertEquals("rate_limit_error", e.type().wireName());
        assertEquals(429, e.status());
        assertEquals("You are using a Trial key, which is limited to 20 API calls / minute.", e.getMessage());
    }

    @Test
    void a_498_invalid_token_is_a_provider_error() {
        GatewayException e = TRANSLATOR.toError(498, json("{\"id\": \"x\", \"message\": \"invalid api token\"}"), Map.of(), "cohere");
        assertEquals(ErrorType.PROVIDER, e.type(), "the gateway's upstream key, not the client's");
        assertEquals(502, e.status());
        assertEquals("cohere", e.provider());
    }

    @Test
    void a_400_is_the_clients_invalid_request_with_cohere_message() {
        GatewayException e = TRANSLATOR.toError(400, json("{\"id\": \"x\", \"message\": \"invalid request: p must be between 0.01 and 0.99\"}"),
                Map.of(), "cohere");
        assertEquals(ErrorType.INVALID_REQUEST, e.type());
        assertEquals("invalid_request_error", e.type().wireName());
        assertEquals(400, e.status());
        assertEquals("invalid request: p must be between 0.01 and 0.99", e.getMessage());
    }
}
