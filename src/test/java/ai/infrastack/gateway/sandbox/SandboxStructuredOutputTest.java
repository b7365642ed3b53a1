package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each vendor's native structured-output request is answered with JSON that satisfies the schema, checked by a
 * JSON-Schema validator, and the same request gets the same answer; a forced tool call's arguments satisfy the
 * tool's parameters, constraints included.
 */
class SandboxStructuredOutputTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    /** Nested objects, an array with a minimum length, an enum, bounds, formats, a $ref and a nullable union. */
    private static final String SCHEMA = """
            {"type":"object","properties":{
              "city":{"type":"string","minLength":12},
              "population":{"type":"integer","minimum":1000,"maximum":5000000},
              "area_km2":{"type":"number","exclusiveMinimum":0},
              "landmarks":{"type":"array","items":{"$ref":"#/$defs/landmark"},"minItems":2},
              "climate":{"type":"string","enum":["oceanic","arid","continental"]},
              "founded":{"type":"string","format":"date"},
              "mayor":{"anyOf":[{"type":"null"},{"type":"string"}]},
              "coastal":{"type":"boolean"}},
             "required":["city","population","area_km2","landmarks","climate","founded","mayor","coastal"],
             "additionalProperties":false,
             "$defs":{"landmark":{"type":"object","properties":{"name":{"type":"string"},"year":{"type":"integer"}},
                                  "required":["name","year"],"additionalProperties":false}}}""";
    /** The same in Gemini's OpenAPI-subset Schema (upper-case types, nullable, no $ref). */
    private static final String GEMINI_SCHEMA = """
            {"type":"OBJECT","properties":{
              "city":{"type":"STRING"},
              "population":{"type":"INTEGER","minimum":1000},
              "landmarks":{"type":"ARRAY","items":{"type":"STRING"},"minItems":2},
              "climate":{"type":"STRING","enum":["oceanic","arid"]},
              "mayor":{"type":"STRING","nullable":true}},
             "required":["city","population","landmarks","climate"]}""";

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
    void openai_compatible_json_schema_answers_satisfy_the_schema_and_repeat() throws Exception {
        String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"facts\"}],"
                + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"city\",\"strict\":true,\"schema\":"
                + SCHEMA + "}}}";
        for (String vendor : List.of("openai", "mistral", "together")) {
            JsonNode first = post(vendor, "/chat/completions", Map.of("Authorization", "Bearer k"), body);
            String content = first.path("choices").get(0).path("message").path("content").asText();
            assertValid(SCHEMA, JSON.readTree(content), vendor);
            assertEquals("stop", first.path("choices").get(0).path("finish_reason").asText(), vendor);
            JsonNode again = post(vendor, "/chat/completions", Map.of("Authorization", "Bearer k"), body);
            assertEquals(content, again.path("choices").get(0).path("message").path("content").asText(), "deterministic on " + vendor);
        }
    }

    @Test
    void json_object_mode_answers_a_json_object() throws Exception {
        JsonNode answer = post("openai", "/chat/completions", Map.of("Authorization", "Bearer k"),
                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"answer in JSON\"}],"
                        + "\"response_format\":{\"type\":\"json_object\"}}");
        assertTrue(JSON.readTree(answer.path("choices").get(0).path("message").path("content").asText()).isObject());
    }

    @Test
    void a_json_schema_format_without_a_name_is_refused_like_openai() throws Exception {
        HttpResponse<String> r = raw("openai", "/chat/completions", Map.of("Authorization", "Bearer k"),
                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                        + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{}}}}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("response_format.json_schema.name", JSON.readTree(r.body()).path("error").path("param").asText());
    }

    @Test
    void gemini_response_json_schema_and_response_schema_answers_satisfy_the_schema() throws Exception {
        JsonNode jsonSchema = gemini("{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"facts\"}]}],"
                + "\"generationConfig\":{\"responseMimeType\":\"application/json\",\"responseJsonSchema\":" + SCHEMA + "}}");
        assertValid(SCHEMA, JSON.readTree(geminiText(jsonSchema)), "gemini responseJsonSchema");

        JsonNode openApi = gemini("{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"facts\"}]}],"
                + "\"generationConfig\":{\"responseMimeType\":\"application/json\",\"responseSchema\":" + GEMINI_SCHEMA + "}}");
        assertValid(jsonSchemaOf(JSON.readTree(GEMINI_SCHEMA)).toString(), JSON.readTree(geminiText(openApi)), "gemini responseSchema");
    }

    @Test
    void gemini_refuses_a_schema_without_the_json_mime_type() throws Exception {
        HttpResponse<String> r = raw("gemini", "/v1beta/models/gemini-1.5-pro:generateContent", Map.of("x-goog-api-key", "k"),
                "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":{\"responseJsonSchema\":" + SCHEMA + "}}");
        assertEquals(400, r.statusCode(), r.body());
    }

    @Test
    void cohere_json_object_with_a_json_schema_answers_satisfy_the_schema() throws Exception {
        JsonNode answer = post("cohere", "/v2/chat", Map.of("Authorization", "Bearer k"),
                "{\"model\":\"command-r-plus\",\"messages\":[{\"role\":\"user\",\"content\":\"facts\"}],"
                        + "\"response_format\":{\"type\":\"json_object\",\"json_schema\":" + SCHEMA + "}}");
        assertValid(SCHEMA, JSON.readTree(answer.path("message").path("content").get(0).path("text").asText()), "cohere");
    }

    @Test
    void anthropic_output_config_and_the_beta_output_format_answer_a_text_block_of_valid_json() throws Exception {
        Map<String, String> headers = Map.of("x-api-key", "k", "anthropic-version", "2023-06-01");
        String messages = "\"model\":\"claude-3-5-sonnet-20241022\",\"max_tokens\":500,\"messages\":[{\"role\":\"user\",\"content\":\"facts\"}]";
        JsonNode ga = post("anthropic", "/v1/messages", headers,
                "{" + messages + ",\"output_config\":{\"format\":{\"type\":\"json_schema\",\"schema\":" + SCHEMA + "}}}");
        assertValid(SCHEMA, JSON.readTree(ga.path("content").get(0).path("text").asText()), "anthropic output_config");

        String beta = "{" + messages + ",\"output_format\":{\"type\":\"json_schema\",\"schema\":" + SCHEMA + "}}";
        HttpResponse<String> withoutFlag = raw("anthropic", "/v1/messages", headers, beta);
        assertEquals(400, withoutFlag.statusCode(), "output_format needs its beta flag: " + withoutFlag.body());
        JsonNode withFlag = post("anthropic", "/v1/messages",
                Map.of("x-api-key", "k", "anthropic-version", "2023-06-01", "anthropic-beta", "structured-outputs-2025-11-13"), beta);
        assertValid(SCHEMA, JSON.readTree(withFlag.path("content").get(0).path("text").asText()), "anthropic output_format");
    }

    @Test
    void a_forced_tool_call_has_arguments_that_satisfy_its_parameters() throws Exception {
        JsonNode answer = post("openai", "/chat/completions", Map.of("Authorization", "Bearer k"),
                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"record it\"}],"
                        + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"other\",\"parameters\":{\"type\":\"object\",\"properties\":{}}}},"
                        + "{\"type\":\"function\",\"function\":{\"name\":\"record_city\",\"parameters\":" + SCHEMA + "}}],"
                        + "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"record_city\"}}}");
        JsonNode call = answer.path("choices").get(0).path("message").path("tool_calls").get(0).path("function");
        assertEquals("record_city", call.path("name").asText());
        assertValid(SCHEMA, JSON.readTree(call.path("arguments").asText()), "forced tool arguments");

        JsonNode anthropic = post("anthropic", "/v1/messages", Map.of("x-api-key", "k", "anthropic-version", "2023-06-01"),
                "{\"model\":\"claude-3-5-sonnet-20241022\",\"max_tokens\":300,\"messages\":[{\"role\":\"user\",\"content\":\"record\"}],"
                        + "\"tools\":[{\"name\":\"record_city\",\"input_schema\":" + SCHEMA + "}],"
                        + "\"tool_choice\":{\"type\":\"tool\",\"name\":\"record_city\"}}");
        JsonNode toolUse = anthropic.path("content").get(anthropic.path("content").size() - 1);
        assertEquals("tool_use", toolUse.path("type").asText(), anthropic.toString());
        assertValid(SCHEMA, toolUse.path("input"), "anthropic forced tool input");
    }

    // ---- helpers -----------------------------------------------------------------------------------

    private static void assertValid(String schema, JsonNode instance, String what) throws Exception {
        List<Error> errors = SCHEMAS.getSchema(JSON.readTree(schema)).validate(instance);
        assertTrue(errors.isEmpty(), what + ": " + instance + " violates " + errors);
    }

    /** Gemini's Schema as JSON Schema: lower-case types, nullable as a union with null. */
    private static JsonNode jsonSchemaOf(JsonNode gemini) {
        ObjectNode out = gemini.deepCopy();
        convert(out);
        return out;
    }

    private static void convert(ObjectNode schema) {
        if (schema.path("type").isTextual()) {
            String type = schema.get("type").asText().toLowerCase(Locale.ROOT);
            if (schema.path("nullable").asBoolean(false)) {
                schema.putArray("type").add(type).add("null");
            } else {
                schema.put("type", type);
            }
            schema.remove("nullable");
        }
        for (Iterator<JsonNode> children = schema.path("properties").elements(); children.hasNext(); ) {
            convert((ObjectNode) children.next());
        }
        if (schema.get("items") instanceof ObjectNode items) {
            convert(items);
        }
    }

    private static JsonNode gemini(String body) throws Exception {
        return post("gemini", "/v1beta/models/gemini-1.5-pro:generateContent", Map.of("x-goog-api-key", "k"), body);
    }

    private static String geminiText(JsonNode response) {
        return response.path("candidates").get(0).path("content").path("parts").get(0).path("text").asText();
    }

    private static JsonNode post(String vendor, String path, Map<String, String> headers, String body) throws Exception {
        HttpResponse<String> response = raw(vendor, path, headers, body);
        assertEquals(200, response.statusCode(), vendor + ": " + response.body());
        return JSON.readTree(response.body());
    }

    private static HttpResponse<String> raw(String vendor, String path, Map<String, String> headers, String body) throws Exception {
        String base = sandbox.baseUrl(vendor);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(10))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
