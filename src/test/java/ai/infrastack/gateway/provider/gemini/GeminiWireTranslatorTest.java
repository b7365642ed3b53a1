package ai.infrastack.gateway.provider.gemini;

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
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAI → Gemini generateContent translation, called directly (no network): the request
 * mapping of shared/reference/providers.md §3.2, the response and tool calls of §3.3/§3.5, the
 * finish reasons of §0.2, the usage buckets of §0.1 and the google.rpc.Status errors of §3.6.
 */
class GeminiWireTranslatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final GeminiWireTranslator TRANSLATOR = new GeminiWireTranslator();
    private static ModelSpec flash;
    private static ModelSpec pro15;

    @BeforeAll
    static void loadCatalog() {
        ModelCatalog catalog = ModelCatalog.load(Path.of("pricing"));
        flash = catalog.find("gemini-2.5-flash").orElseThrow();
        pro15 = catalog.find("gemini-1.5-pro").orElseThrow();
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static ObjectNode chat(String messages, String extraFields) {
        return (ObjectNode) json("{\"model\": \"gemini-2.5-flash\", \"messages\": " + messages
                + (extraFields.isEmpty() ? "" : ", " + extraFields) + "}");
    }

    private static ObjectNode hi(String extraFields) {
        return chat("[{\"role\": \"user\", \"content\": \"hi\"}]", extraFields);
    }

    private static ObjectNode translate(ObjectNode request, List<String> dropped) {
        return TRANSLATOR.toUpstream(request, flash, dropped);
    }

    private static ObjectNode translate(ObjectNode request) {
        return translate(request, new ArrayList<>());
    }

    private static JsonNode config(String extraFields) {
        return translate(hi(extraFields)).path("generationConfig");
    }

    // ---- endpoint and auth ----------------------------------------------------------------------

    @Test
    void the_upstream_model_name_goes_into_the_generate_content_path() {
        assertEquals("gemini", TRANSLATOR.format());
        assertEquals("/v1beta/models/gemini-1.5-pro-002:generateContent", TRANSLATOR.chatPath(pro15),
                "the catalog's upstream name, not the gateway id gemini-1.5-pro");
        assertEquals("/v1beta/models/gemini-2.5-flash:generateContent", TRANSLATOR.chatPath(flash));
    }

    @Test
    void the_key_travels_in_the_x_goog_api_key_header_and_never_in_the_url() {
        assertEquals(Map.of("x-goog-api-key", "AIza-upstream"), TRANSLATOR.headers("AIza-upstream"));
        assertFalse(TRANSLATOR.chatPath(flash).contains("key="), "a ?key= query would put the key into access logs");
        assertFalse(TRANSLATOR.chatPath(flash).contains("AIza"));
    }

    @Test
    void the_body_has_no_model_field() {
        ObjectNode out = translate(hi(""));
        assertFalse(out.has("model"), out.toString());
    }

    // ---- messages -------------------------------------------------------------------------------

    @Test
    void system_and_developer_messages_become_the_system_instruction() {
        ObjectNode out = translate(chat("""
                [{"role": "system", "content": "Be brief."},
                 {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
                 {"role": "user", "content": "hi"}]""", ""));
        JsonNode parts = out.path("systemInstruction").path("parts");
        assertTrue(parts.isArray() && !parts.isEmpty(), out.toString());
        StringBuilder text = new StringBuilder();
        parts.forEach(p -> text.append(p.path("text").asText()).append('\n'));
        assertTrue(text.toString().contains("Be brief."), text.toString());
        assertTrue(text.toString().contains("Answer in French."), text.toString());
        assertEquals(1, out.get("contents").size(), "no system turn inside contents: " + out.get("contents"));
        assertEquals("user", out.get("contents").get(0).get("role").asText());
    }

    @Test
    void assistant_turns_get_role_model() {
        ObjectNode out = translate(chat("""
                [{"role": "user", "content": "hi"},
                 {"role": "assistant", "content": "hello"},
                 {"role": "user", "content": "how are you?"}]""", ""));
        JsonNode contents = out.get("contents");
        assertEquals(3, contents.size());
        assertEquals("user", contents.get(0).get("role").asText());
        assertEquals("model", contents.get(1).get("role").asText());
        assertEquals("hello", contents.get(1).get("parts").get(0).get("text").asText());
        assertEquals("user", contents.get(2).get("role").asText());
    }

    @Test
    void consecutive_turns_of_the_same_role_are_merged_into_one_content() {
        ObjectNode out = translate(chat("""
                [{"role": "user", "content": "first"},
                 {"role": "user", "content": "second"},
                 {"role": "assistant", "content": "a"},
                 {"role": "assistant", "content": "b"}]""", ""));
        JsonNode contents = out.get("contents");
        assertEquals(2, contents.size(), contents.toString());
        assertEquals("user", contents.get(0).get("role").asText());
        assertEquals(2, contents.get(0).get("parts").size());
        assertEquals("first", contents.get(0).get("parts").get(0).get("text").asText());
        assertEquals("second", contents.get(0).get("parts").get(1).get("text").asText());
        assertEquals("model", contents.get(1).get("role").asText());
        assertEquals(2, contents.get(1).get("parts").size());
    }

    @Test
    void a_data_url_image_becomes_inline_data_and_an_https_url_becomes_file_data() {
        ObjectNode out = translate(chat("""
                [{"role": "user", "content": [
                   {"type": "text", "text": "compare"},
                   {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                   {"type": "image_url", "image_url": {"url": "https://example.com/cat.webp"}}]}]""", ""));
        JsonNode parts = out.get("contents").get(0).get("parts");
        assertEquals(3, parts.size(), parts.toString());
        assertEquals("compare", parts.get(0).get("text").asText());
        JsonNode inline = parts.get(1).get("inlineData");
        assertEquals("image/png", inline.get("mimeType").asText());
        assertEquals("iVBORw0KGgo=", inline.get("data").asText(), "the base64 payload without the data: prefix");
        JsonNode file = parts.get(2).get("fileData");
        assertEquals("https://example.com/cat.webp", file.get("fileUri").asText());
        assertEquals("image/webp", file.get("mimeType").asText());
    }

    // ---- generationConfig -----------------------------------------------------------------------

    @Test
    void sampling_parameters_map_into_generation_config() {
        JsonNode c = config("""
                "temperature": 0.3, "top_p": 0.8, "top_k": 40, "n": 2, "presence_penalty": 0.5,
                "frequency_penalty": 0.25, "seed": 42, "max_tokens": 300""");
        assertEquals(0.3, c.get("temperature").asDouble());
        assertEquals(0.8, c.get("topP").asDouble());
        assertEquals(40, c.get("topK").asInt());
        assertEquals(2, c.get("candidateCount").asInt());
        assertEquals(0.5, c.get("presencePenalty").asDouble());
        assertEquals(0.25, c.get("frequencyPenalty").asDouble());
        assertEquals(42, c.get("seed").asInt());
        assertEquals(300, c.get("maxOutputTokens").asInt());
    }

    @Test
    void sampling_parameters_do_not_leak_to_the_top_level_under_openai_names() {
        ObjectNode out = translate(hi("\"temperature\": 0.3, \"top_p\": 0.8, \"max_tokens\": 5, \"stop\": \"x\", \"n\": 1, \"seed\": 1"));
        for (String p : List.of("temperature", "top_p", "max_tokens", "stop", "n", "seed", "topP", "maxOutputTokens")) {
            assertFalse(out.has(p), p + " at the top level: " + out);
        }
    }

    @Test
    void max_completion_tokens_also_becomes_max_output_tokens() {
        assertEquals(512, config("\"max_completion_tokens\": 512").get("maxOutputTokens").asInt());
    }

    @Test
    void a_request_without_sampling_parameters_sends_no_generation_config() {
        ObjectNode out = translate(hi(""));
        assertFalse(out.has("generationConfig"), "no invented defaults: " + out);
    }

    @Test
    void stop_as_a_string_or_a_list_becomes_stop_sequences() {
        JsonNode single = config("\"stop\": \"END\"").get("stopSequences");
        assertTrue(single.isArray(), single.toString());
        assertEquals(List.of("END"), strings(single));
        assertEquals(List.of("A", "B"), strings(config("\"stop\": [\"A\", \"B\"]").get("stopSequences")));
    }

    @Test
    void response_format_json_object_asks_for_an_application_json_mime_type() {
        assertEquals("application/json", config("\"response_format\": {\"type\": \"json_object\"}").get("responseMimeType").asText());
        assertFalse(config("\"response_format\": {\"type\": \"text\"}").has("responseMimeType"));
    }

    @Test
    void unmapped_parameters_are_dropped_and_named() {
        List<String> dropped = new ArrayList<>();
        ObjectNode out = translate(hi("\"user\": \"u-1\", \"logit_bias\": {\"50256\": -100}, \"temperature\": 0.1"), dropped);
        assertTrue(dropped.containsAll(List.of("user", "logit_bias")), dropped.toString());
        assertFalse(dropped.contains("temperature"), dropped.toString());
        assertFalse(dropped.contains("messages"), dropped.toString());
        assertFalse(out.has("user"));
        assertFalse(out.has("logit_bias"));
        assertFalse(out.path("generationConfig").has("user"));
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
              {"type": "function", "function": {"name": "get_weather", "description": "Weather", "strict": true,
                "parameters": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "additionalProperties": false,
                  "strict": true,
                  "properties": {
                    "location": {"type": "string"},
                    "default": {"type": "boolean", "description": "a property literally named default"},
                    "strict": {"type": "string"},
                    "options": {"type": "object", "additionalProperties": false,
                                "properties": {"units": {"type": "string", "enum": ["c", "f"]}}},
                    "tags": {"type": "array", "items": {"type": "object", "additionalProperties": false,
                                                        "properties": {"name": {"type": "string"}}}}},
                  "required": ["location", "default"]}}},
              {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}}]""";

    @Test
    void tools_become_one_function_declarations_list() {
        ObjectNode out = translate(hi(TOOLS));
        JsonNode tools = out.get("tools");
        assertEquals(1, tools.size(), "one Tool holding every declaration: " + tools);
        JsonNode decls = tools.get(0).get("functionDeclarations");
        assertEquals(2, decls.size());
        assertEquals("get_weather", decls.get(0).get("name").asText());
        assertEquals("Weather", decls.get(0).get("description").asText());
        assertEquals("get_time", decls.get(1).get("name").asText());
        assertFalse(decls.get(0).has("strict"), "the function-level strict flag is not a Gemini field");
    }

    @Test
    void unsupported_schema_keywords_are_stripped_at_every_depth() {
        JsonNode params = translate(hi(TOOLS)).get("tools").get(0).get("functionDeclarations").get(0).get("parameters");
        String text = params.toString();
        assertFalse(params.has("$schema"), text);
        assertFalse(params.has("additionalProperties"), text);
        assertFalse(params.has("strict"), text);
        assertFalse(params.at("/properties/options").has("additionalProperties"), text);
        assertFalse(params.at("/properties/tags/items").has("additionalProperties"), text);
        assertFalse(text.contains("additionalProperties"), text);
        assertFalse(text.contains("$schema"), text);
        assertEquals("object", params.get("type").asText());
        assertEquals("string", params.at("/properties/options/properties/units/type").asText());
        assertEquals(List.of("c", "f"), strings(params.at("/properties/options/properties/units/enum")));
        assertEquals("string", params.at("/properties/tags/items/properties/name/type").asText());
    }

    @Test
    void a_property_named_like_a_stripped_keyword_is_kept() {
        JsonNode props = translate(hi(TOOLS)).get("tools").get(0).get("functionDeclarations").get(0).get("parameters").get("properties");
        assertTrue(props.has("default"), props.toString());
        assertEquals("boolean", props.get("default").get("type").asText());
        assertTrue(props.has("strict"), props.toString());
        assertEquals("string", props.get("strict").get("type").asText());
        assertTrue(props.has("location"));
    }

    @ParameterizedTest
    @CsvSource({"auto, AUTO", "none, NONE", "required, ANY"})
    void string_tool_choice_maps_to_the_function_calling_mode(String choice, String mode) {
        JsonNode calling = translate(hi(TOOLS + ", \"tool_choice\": \"" + choice + "\"")).at("/toolConfig/functionCallingConfig");
        assertEquals(mode, calling.get("mode").asText(), calling.toString());
        assertFalse(calling.has("allowedFunctionNames"), calling.toString());
    }

    @Test
    void a_named_tool_choice_is_mode_any_restricted_to_that_function() {
        JsonNode calling = translate(hi(TOOLS + ", \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_time\"}}"))
                .at("/toolConfig/functionCallingConfig");
        assertEquals("ANY", calling.get("mode").asText());
        assertEquals(List.of("get_time"), strings(calling.get("allowedFunctionNames")));
    }

    private static final String TOOL_ROUND_TRIP = """
            [{"role": "user", "content": "weather in Paris and the time?"},
             {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_a.ts.c2lnbmF0dXJlLUE=", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{\\"location\\": \\"Paris\\", \\"days\\": 2}"}},
                {"id": "call_b", "type": "function", "function": {"name": "get_time", "arguments": ""}}]},
             {"role": "tool", "tool_call_id": "call_a.ts.c2lnbmF0dXJlLUE=", "content": "{\\"temp\\": 18}"},
             {"role": "tool", "tool_call_id": "call_b", "content": "12:00"}]""";

    @Test
    void assistant_tool_calls_become_function_call_parts_with_parsed_args() {
        JsonNode model = translate(chat(TOOL_ROUND_TRIP, "")).get("contents").get(1);
        assertEquals("model", model.get("role").asText());
        JsonNode parts = model.get("parts");
        assertEquals(2, parts.size(), parts.toString());
        JsonNode first = parts.get(0).get("functionCall");
        assertEquals("get_weather", first.get("name").asText());
        assertTrue(first.get("args").isObject(), "args is an object, not the OpenAI JSON string: " + first);
        assertEquals("Paris", first.get("args").get("location").asText());
        assertEquals(2, first.get("args").get("days").asInt());
        JsonNode second = parts.get(1).get("functionCall");
        assertEquals("get_time", second.get("name").asText());
        assertTrue(second.get("args").isObject() && second.get("args").isEmpty(), "empty arguments become {}: " + second);
    }

    @Test
    void a_thought_signature_carried_in_the_tool_call_id_is_echoed() {
        JsonNode parts = translate(chat(TOOL_ROUND_TRIP, "")).get("contents").get(1).get("parts");
        assertEquals("c2lnbmF0dXJlLUE=", parts.get(0).path("thoughtSignature").asText(), parts.toString());
        assertFalse(parts.get(1).has("thoughtSignature"), "a call without a signature gets none: " + parts);
    }

    @Test
    void tool_messages_become_one_user_turn_of_function_responses_named_after_the_call() {
        JsonNode contents = translate(chat(TOOL_ROUND_TRIP, "")).get("contents");
        assertEquals(3, contents.size(), contents.toString());
        JsonNode results = contents.get(2);
        assertEquals("user", results.get("role").asText());
        JsonNode parts = results.get("parts");
        assertEquals(2, parts.size(), "both results in one turn: " + parts);
        JsonNode weather = parts.get(0).get("functionResponse");
        assertEquals("get_weather", weather.get("name").asText(), "the name is looked up from the assistant's tool call id");
        assertEquals(18, weather.get("response").get("temp").asInt(), "a JSON object passes through as the response");
        JsonNode time = parts.get(1).get("functionResponse");
        assertEquals("get_time", time.get("name").asText());
    }

    @Test
    void a_non_json_or_non_object_tool_result_is_wrapped_as_content() {
        JsonNode contents = translate(chat("""
                [{"role": "user", "content": "go"},
                 {"role": "assistant", "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                    {"id": "c2", "type": "function", "function": {"name": "g", "arguments": "{}"}}]},
                 {"role": "tool", "tool_call_id": "c1", "content": "18C and sunny"},
                 {"role": "tool", "tool_call_id": "c2", "content": "[1, 2, 3]"}]""", "")).get("contents");
        JsonNode parts = contents.get(2).get("parts");
        JsonNode plain = parts.get(0).get("functionResponse").get("response");
        assertTrue(plain.isObject(), plain.toString());
        assertEquals("18C and sunny", plain.get("content").asText());
        JsonNode array = parts.get(1).get("functionResponse").get("response");
        assertTrue(array.isObject(), "a JSON array is not an object and must be wrapped: " + array);
        assertTrue(array.has("content"), array.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json", "[1, 2]", "42"})
    void tool_call_arguments_that_are_not_a_json_object_are_refused_as_the_clients_error(String arguments) {
        ObjectNode request = chat("[{\"role\": \"user\", \"content\": \"go\"}]", "");
        ObjectNode assistant = request.withArray("messages").addObject().put("role", "assistant");
        assistant.putArray("tool_calls").addObject().put("id", "c1").put("type", "function")
                .putObject("function").put("name", "f").put("arguments", arguments);
        GatewayException e = assertThrows(GatewayException.class, () -> translate(request));
        assertEquals(ErrorType.INVALID_REQUEST, e.type());
        assertEquals(400, e.status());
        assertEquals("messages[1].tool_calls[0].function.arguments", e.param());
    }

    @Test
    void the_client_request_object_is_not_modified() {
        ObjectNode request = chat(TOOL_ROUND_TRIP, TOOLS + ", \"temperature\": 0.2, \"stop\": \"x\", \"user\": \"u\"");
        ObjectNode before = request.deepCopy();
        translate(request);
        assertEquals(before, request, "a retry or fallback must see the client's original request");
    }

    // ---- response -------------------------------------------------------------------------------

    private static Completion respond(String body) {
        return TRANSLATOR.fromUpstream(json(body), flash);
    }

    private static Completion withParts(String parts, String finishReason) {
        return respond("""
                {"candidates": [{"content": {"role": "model", "parts": %s}, "finishReason": "%s", "index": 0}],
                 "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5, "totalTokenCount": 15},
                 "modelVersion": "gemini-2.5-flash-preview-09-2025", "responseId": "resp-1"}""".formatted(parts, finishReason));
    }

    @Test
    void text_parts_become_the_message_content() {
        Completion r = withParts("[{\"text\": \"The capital \"}, {\"text\": \"is Paris.\"}]", "STOP");
        JsonNode choice = r.choices().get(0);
        assertEquals(1, r.choices().size());
        assertEquals("assistant", choice.get("message").get("role").asText());
        assertEquals("The capital is Paris.", choice.get("message").get("content").asText());
        assertEquals("stop", choice.get("finish_reason").asText());
        assertFalse(choice.get("message").has("tool_calls"));
        assertEquals("gemini-2.5-flash-preview-09-2025", r.upstreamModel(), "the model version Gemini reports");
        assertEquals("resp-1", r.id());
    }

    private static final String TWO_CALLS = """
            [{"functionCall": {"name": "get_weather", "args": {"location": "Paris"}}, "thoughtSignature": "sigA"},
             {"functionCall": {"name": "get_weather", "args": {"location": "Rome"}}}]""";

    @Test
    void function_calls_become_tool_calls_with_json_string_arguments() {
        Completion r = withParts(TWO_CALLS, "STOP");
        JsonNode message = r.choices().get(0).get("message");
        JsonNode calls = message.get("tool_calls");
        assertEquals(2, calls.size(), message.toString());
        JsonNode first = calls.get(0);
        assertEquals("function", first.get("type").asText());
        assertEquals("get_weather", first.get("function").get("name").asText());
        JsonNode args = first.get("function").get("arguments");
        assertTrue(args.isTextual(), "arguments is a JSON string: " + args);
        assertEquals(json("{\"location\": \"Paris\"}"), json(args.asText()));
        assertEquals(json("{\"location\": \"Rome\"}"), json(calls.get(1).get("function").get("arguments").asText()));
        assertTrue(message.get("content").isNull(), "no text with tool calls → content null: " + message);
    }

    @Test
    void stop_with_a_function_call_finishes_with_tool_calls() {
        assertEquals("tool_calls", withParts(TWO_CALLS, "STOP").choices().get(0).get("finish_reason").asText());
    }

    @Test
    void synthesized_tool_call_ids_are_deterministic_and_distinct() {
        JsonNode once = withParts(TWO_CALLS, "STOP").choices().get(0).get("message").get("tool_calls");
        JsonNode again = withParts(TWO_CALLS, "STOP").choices().get(0).get("message").get("tool_calls");
        String a = once.get(0).get("id").asText();
        String b = once.get(1).get("id").asText();
        assertFalse(a.isBlank());
        assertFalse(b.isBlank());
        assertNotEquals(a, b, "two calls in one response need two ids");
        assertEquals(a, again.get(0).get("id").asText(), "the same response gives the same ids");
        assertEquals(b, again.get(1).get("id").asText());
    }

    @Test
    void two_identical_calls_in_one_response_still_get_distinct_ids() {
        String same = "[{\"functionCall\": {\"name\": \"f\", \"args\": {}}}, {\"functionCall\": {\"name\": \"f\", \"args\": {}}}]";
        JsonNode calls = withParts(same, "STOP").choices().get(0).get("message").get("tool_calls");
        assertNotEquals(calls.get(0).get("id").asText(), calls.get(1).get("id").asText());
    }

    @Test
    void the_thought_signature_rides_in_the_tool_call_id_and_round_trips() {
        JsonNode calls = withParts(TWO_CALLS, "STOP").choices().get(0).get("message").get("tool_calls");
        String signed = calls.get(0).get("id").asText();
        assertTrue(signed.endsWith(".ts.sigA"), signed);
        assertFalse(calls.get(1).get("id").asText().contains(".ts."), calls.toString());

        // Replaying the reply on the next turn echoes the signature to Gemini.
        ObjectNode next = (ObjectNode) json("{\"model\": \"gemini-2.5-flash\", \"messages\": []}");
        next.withArray("messages").add(json("{\"role\": \"user\", \"content\": \"weather?\"}"));
        ObjectNode assistant = next.withArray("messages").addObject();
        assistant.put("role", "assistant");
        assistant.set("tool_calls", calls);
        next.withArray("messages").addObject().put("role", "tool").put("tool_call_id", signed).put("content", "sunny");
        JsonNode contents = translate(next).get("contents");
        assertEquals("sigA", contents.get(1).get("parts").get(0).get("thoughtSignature").asText(), contents.toString());
        assertEquals("get_weather", contents.get(2).get("parts").get(0).get("functionResponse").get("name").asText());
    }

    @ParameterizedTest
    @CsvSource({"STOP, stop", "MAX_TOKENS, length", "SAFETY, content_filter", "RECITATION, content_filter",
            "BLOCKLIST, content_filter", "PROHIBITED_CONTENT, content_filter", "OTHER, stop"})
    void finish_reasons_are_mapped(String gemini, String openai) {
        assertEquals(openai, withParts("[{\"text\": \"x\"}]", gemini).choices().get(0).get("finish_reason").asText());
    }

    @Test
    void a_blocked_prompt_is_one_content_filtered_choice_not_an_error() {
        Completion r = respond("""
                {"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": []},
                 "usageMetadata": {"promptTokenCount": 8, "totalTokenCount": 8},
                 "modelVersion": "gemini-2.5-flash", "responseId": "blocked-1"}""");
        assertEquals(1, r.choices().size(), r.choices().toString());
        JsonNode choice = r.choices().get(0);
        assertEquals(0, choice.get("index").asInt());
        assertTrue(choice.get("message").get("content").isNull(), choice.toString());
        assertEquals("content_filter", choice.get("finish_reason").asText());
        assertEquals(8, r.usage().promptTokens(), "the blocked prompt was still read and billed");
    }

    @Test
    void cached_content_tokens_are_inside_the_prompt_count() {
        Usage u = respond("""
                {"candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}],
                 "usageMetadata": {"promptTokenCount": 1000, "cachedContentTokenCount": 600, "candidatesTokenCount": 20,
                                   "totalTokenCount": 1020}}""").usage();
        assertEquals(400, u.uncachedInput(), "uncached = promptTokenCount - cachedContentTokenCount");
        assertEquals(600, u.cacheRead());
        assertEquals(0, u.cacheWrite());
        assertEquals(1000, u.promptTokens(), "buckets add back up to promptTokenCount, not more");
        assertEquals(20, u.output());
    }

    @Test
    void thoughts_are_added_to_output_and_reported_as_reasoning() {
        Usage u = respond("""
                {"candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}],
                 "usageMetadata": {"promptTokenCount": 14, "candidatesTokenCount": 7, "thoughtsTokenCount": 31,
                                   "totalTokenCount": 52}}""").usage();
        assertEquals(38, u.output(), "thoughts are outside candidatesTokenCount but billed as output");
        assertEquals(31, u.reasoning());
        assertEquals(14, u.uncachedInput());
        assertEquals(52, u.totalTokens(), "matches Gemini's totalTokenCount");
    }

    @Test
    void thought_parts_are_not_shown_as_content() {
        Completion r = withParts("[{\"text\": \"thinking...\", \"thought\": true}, {\"text\": \"answer\"}]", "STOP");
        assertEquals("answer", r.choices().get(0).get("message").get("content").asText());
    }

    // ---- errors ---------------------------------------------------------------------------------

    @Test
    void an_invalid_api_key_400_is_the_gateways_credential_problem() {
        GatewayException e = TRANSLATOR.toError(400, json("""
                {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
                  "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                               "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}}]}}"""),
                Map.of(), "google");
        assertEquals(ErrorType.PROVIDER, e.type(), "not invalid_request_error: the client's request was fine");
        assertEquals("provider_error", e.type().wireName());
        assertEquals(502, e.status());
        assertEquals("google", e.provider());
        assertEquals("API key not valid. Please pass a valid API key.", e.getMessage());
        assertEquals(400, e.upstreamStatus(), "the vendor's own status is reported as it was");
    }

    @Test
    void a_plain_invalid_argument_400_stays_the_clients_error() {
        GatewayException e = TRANSLATOR.toError(400, json("""
                {"error": {"code": 400, "message": "Invalid JSON payload received.", "status": "INVALID_ARGUMENT"}}"""),
                Map.of(), "google");
        assertEquals(ErrorType.INVALID_REQUEST, e.type());
        assertEquals(400, e.status());
    }

    @Test
    void resource_exhausted_takes_retry_after_from_retry_info() {
        GatewayException e = TRANSLATOR.toError(429, json("""
                {"error": {"code": 429, "message": "You exceeded your current quota.", "status": "RESOURCE_EXHAUSTED",
                  "details": [
                    {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
                     "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                                     "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "quotaValue": "10"}]},
                    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "23s"}]}}"""),
                Map.of(), "google");
        assertEquals(ErrorType.RATE_LIMIT, e.type());
        assertEquals("rate_limit_error", e.type().wireName());
        assertEquals(429, e.status());
        assertEquals("23", e.headers().get("Retry-After"), e.headers().toString());
    }

    @Test
    void unavailable_is_a_503() {
        GatewayException e = TRANSLATOR.toError(503, json("""
                {"error": {"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}}"""),
                Map.of(), "google");
        assertEquals(503, e.status());
        assertEquals(ErrorType.PROVIDER, e.type());
        assertEquals("The model is overloaded. Please try again later.", e.getMessage());
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
