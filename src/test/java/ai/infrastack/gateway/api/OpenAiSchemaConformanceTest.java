package ai.infrastack.gateway.api;

import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every provider's answers and stream chunks, and the models endpoints, validate against OpenAI's published
 * OpenAPI schemas ({@code openai-openapi-subset.json}, a subset of the openai/openai-openapi document), made
 * strict: an object may carry only the properties OpenAI defines plus the gateway's documented extensions
 * ({@code provider}, {@code cost}, {@code latency}, {@code routing}; {@code usage.cache_hit_tokens} and
 * {@code usage.estimated}; the spec's model catalog fields). The Responses API's Response objects and stream
 * events are held to the same rule. So a vendor field passed through, or a wrong type,
 * fails here before a typed client chokes on it.
 */
class OpenAiSchemaConformanceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String WEATHER_TOOL = "{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"
            + "{\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\"}},\"required\":[\"location\"]}}}";
    private static final String RESPONSES_TOOL = "{\"type\":\"function\",\"name\":\"get_weather\",\"parameters\":"
            + "{\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\"}},\"required\":[\"location\"]}}";
    private static RunningGateway gateway;
    private static Schema completionSchema;
    private static Schema chunkSchema;
    private static Schema modelSchema;
    private static Schema responseSchema;
    private static Schema responseEventSchema;

    @BeforeAll
    static void start() throws IOException {
        ObjectNode components = strictComponents();
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
        completionSchema = registry.getSchema(rooted(components, "CreateChatCompletionResponse"));
        chunkSchema = registry.getSchema(rooted(components, "CreateChatCompletionStreamResponse"));
        modelSchema = registry.getSchema(rooted(components, "Model"));
        responseSchema = registry.getSchema(rooted(components, "Response"));
        responseEventSchema = registry.getSchema(rooted(components, "ResponseStreamEvent"));
        gateway = RunningGateway.start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void a_plain_answer_conforms(String model) throws IOException {
        assertConforms(completionSchema, unary(model, ""), model);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void a_tool_call_answer_conforms(String model) throws IOException {
        JsonNode answer = unary(model, ",\"tools\":[" + WEATHER_TOOL + "]");
        assertEquals("tool_calls", answer.path("choices").get(0).path("finish_reason").asText(), answer.toString());
        assertConforms(completionSchema, answer, model);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void every_chunk_of_a_stream_conforms_with_and_without_include_usage(String model) throws IOException {
        for (String options : List.of("", ",\"stream_options\":{\"include_usage\":true}", ",\"tools\":[" + WEATHER_TOOL + "]")) {
            List<JsonNode> chunks = stream(model, options);
            assertTrue(chunks.size() > 2, model + options + ": " + chunks);
            for (JsonNode chunk : chunks) {
                assertConforms(chunkSchema, chunk, model + options);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void a_responses_api_answer_and_every_event_of_its_stream_conform(String model) throws IOException {
        String schema = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"],"
                + "\"additionalProperties\":false}";
        for (String extra : List.of("", ",\"tools\":[" + RESPONSES_TOOL + "]",
                ",\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"city\",\"strict\":true,\"schema\":" + schema + "}}")) {
            HttpResponse<String> r = gateway.post("/responses", "{\"model\":\"" + model + "\",\"input\":\"What's the weather"
                    + " in Paris?\"" + extra + "}", RunningGateway.MASTER_KEY);
            assertEquals(200, r.statusCode(), r.body());
            assertConforms(responseSchema, JSON.readTree(r.body()), model + extra);
            List<JsonNode> events = responseEvents(model, extra);
            assertTrue(events.size() > 3, model + extra + ": " + events);
            for (JsonNode event : events) {
                assertConforms(responseEventSchema, event, model + extra);
            }
        }
    }

    @Test
    void a_responses_api_stream_cut_mid_way_ends_with_a_conforming_response_failed() throws IOException {
        HttpResponse<String> r = gateway.post("/responses", "{\"model\":\"claude-3.5-sonnet\",\"stream\":true,\"input\":"
                + "\"Tell me a long tale of seven ships and nine harbours [sandbox:error_after=6]\"}", RunningGateway.MASTER_KEY);
        List<JsonNode> events = dataOf(r);
        assertEquals("response.failed", events.getLast().path("type").asText(), events.toString());
        for (JsonNode event : events) {
            assertConforms(responseEventSchema, event, "failed stream");
        }
    }

    @Test
    void the_models_list_and_one_model_conform() throws IOException {
        JsonNode list = JSON.readTree(gateway.get("/models", RunningGateway.MASTER_KEY).body());
        assertEquals("list", list.path("object").asText());
        for (JsonNode model : list.path("data")) {
            assertConforms(modelSchema, model, model.path("id").asText());
        }
        assertConforms(modelSchema, JSON.readTree(gateway.get("/models/gpt-4o", RunningGateway.MASTER_KEY).body()), "gpt-4o");
    }

    @Test
    void the_strict_schemas_refuse_an_unknown_property() {
        ObjectNode answer = NODES.objectNode();
        answer.put("id", "x").put("object", "chat.completion").put("created", 1).put("model", "m").putArray("choices");
        assertTrue(completionSchema.validate(answer).isEmpty(), "a minimal answer conforms");
        answer.put("vendor_extra", true);
        assertTrue(!completionSchema.validate(answer).isEmpty(), "an unknown top-level property does not");
    }

    @Test
    void the_strict_response_schema_refuses_an_unknown_property_at_the_top_and_in_an_item() throws IOException {
        ObjectNode response = (ObjectNode) JSON.readTree(gateway.post("/responses", "{\"model\":\"gpt-4o\",\"input\":\"Hi\"}",
                RunningGateway.MASTER_KEY).body());
        assertTrue(responseSchema.validate(response).isEmpty(), "the gateway's Response conforms");
        ObjectNode extra = response.deepCopy().put("vendor_extra", true);
        assertTrue(!responseSchema.validate(extra).isEmpty(), "an unknown top-level property does not");
        ObjectNode inItem = response.deepCopy();
        ((ObjectNode) inItem.path("output").get(0)).put("vendor_extra", true);
        assertTrue(!responseSchema.validate(inItem).isEmpty(), "an unknown property of an output item does not");
    }

    // ---- the gateway's calls -------------------------------------------------------------------------

    private static JsonNode unary(String model, String extra) throws IOException {
        HttpResponse<String> r = gateway.post("/chat/completions", "{\"model\":\"" + model + "\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"What's the weather in Paris?\"}]" + extra + "}", RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private static List<JsonNode> stream(String model, String extra) throws IOException {
        HttpResponse<String> r = gateway.post("/chat/completions", "{\"model\":\"" + model + "\",\"stream\":true,\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"What's the weather in Paris?\"}]" + extra + "}", RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body());
        List<JsonNode> chunks = new ArrayList<>();
        for (String line : r.body().split("\n")) {
            if (line.startsWith("data: ") && !line.equals("data: [DONE]")) {
                chunks.add(JSON.readTree(line.substring(6)));
            }
        }
        return chunks;
    }

    private static List<JsonNode> responseEvents(String model, String extra) throws IOException {
        HttpResponse<String> r = gateway.post("/responses", "{\"model\":\"" + model + "\",\"stream\":true,\"input\":"
                + "\"What's the weather in Paris? Tell me about the sky, the wind and the rain.\"" + extra + "}", RunningGateway.MASTER_KEY);
        return dataOf(r);
    }

    private static List<JsonNode> dataOf(HttpResponse<String> r) throws IOException {
        assertEquals(200, r.statusCode(), r.body());
        List<JsonNode> events = new ArrayList<>();
        for (String line : r.body().split("\n")) {
            if (line.startsWith("data: ")) {
                events.add(JSON.readTree(line.substring(6)));
            }
        }
        return events;
    }

    private static void assertConforms(Schema schema, JsonNode instance, String what) {
        List<Error> errors = schema.validate(instance);
        assertTrue(errors.isEmpty(), what + " does not conform to OpenAI's schema: " + errors + "\n" + instance);
    }

    // ---- the schemas, made strict ----------------------------------------------------------------------

    /** components.schemas with nullable rewritten, objects closed, and the gateway's extensions declared. */
    private static ObjectNode strictComponents() throws IOException {
        JsonNode document;
        try (InputStream in = OpenAiSchemaConformanceTest.class.getResourceAsStream("/openai-openapi-subset.json")) {
            document = JSON.readTree(in);
        }
        ObjectNode components = (ObjectNode) document.get("components").deepCopy();
        ObjectNode schemas = (ObjectNode) components.get("schemas");
        Set<String> parts = allOfParts(schemas);
        schemas.fields().forEachRemaining(e -> rewrite(e.getValue(), parts.contains(e.getKey())));
        ObjectNode object = NODES.objectNode().put("type", "object");
        ObjectNode anyObject = object.deepCopy().put("additionalProperties", true);
        for (String root : List.of("CreateChatCompletionResponse", "CreateChatCompletionStreamResponse")) {
            ObjectNode properties = (ObjectNode) schemas.get(root).get("properties");
            properties.set("provider", NODES.objectNode().put("type", "string"));
            properties.set("cost", anyObject);
            properties.set("latency", anyObject);
            properties.set("routing", anyObject);
        }
        ObjectNode usage = (ObjectNode) schemas.get("CompletionUsage").get("properties");
        usage.set("cache_hit_tokens", NODES.objectNode().put("type", "integer"));
        usage.set("estimated", NODES.objectNode().put("type", "boolean"));
        ObjectNode model = (ObjectNode) schemas.get("Model").get("properties");
        for (String field : List.of("provider", "display_name", "category", "tier")) {
            model.set(field, NODES.objectNode().put("type", "string"));
        }
        model.set("capabilities", anyObject);
        model.set("aliases", NODES.objectNode().put("type", "array").set("items", NODES.objectNode().put("type", "string")));
        ObjectNode response = ((ObjectNode) schemas.get("Response")).putObject("properties");
        response.set("provider", NODES.objectNode().put("type", "string"));
        response.set("cost", anyObject);
        response.set("latency", anyObject);
        ((ObjectNode) schemas.get("ResponseUsage").get("properties")).set("estimated", NODES.objectNode().put("type", "boolean"));
        return components;
    }

    /** The named schemas that are parts of an {@code allOf} (a Response is three of them): closed as a whole, not each. */
    private static Set<String> allOfParts(ObjectNode schemas) {
        Set<String> parts = new HashSet<>();
        for (JsonNode allOf : schemas.findValues("allOf")) {
            for (JsonNode part : allOf) {
                if (part.path("$ref").isTextual()) {
                    parts.add(part.get("$ref").asText().substring("#/components/schemas/".length()));
                }
            }
        }
        return parts;
    }

    /**
     * OpenAPI 3.0's {@code nullable: true} becomes a JSON Schema union with null (and null joins an enum), and
     * every object schema that lists properties but says nothing of others gets {@code additionalProperties: false}
     * — or, when it is made of {@code allOf} parts, {@code unevaluatedProperties: false}, its parts left open.
     */
    private static void rewrite(JsonNode node, boolean open) {
        if (node instanceof ArrayNode array) {
            array.forEach(n -> rewrite(n, open));
            return;
        }
        if (!(node instanceof ObjectNode schema)) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> fields = schema.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (field.getKey().equals("allOf")) {
                rewrite(field.getValue(), true);
            } else if (!field.getKey().equals("enum") && !field.getKey().equals("const") && !field.getKey().equals("default")) {
                rewrite(field.getValue(), false);
            }
        }
        if (schema.has("allOf") && !open && !schema.has("unevaluatedProperties")) {
            schema.put("unevaluatedProperties", false);
        }
        if (schema.path("nullable").asBoolean(false)) {
            schema.remove("nullable");
            if (schema.get("enum") instanceof ArrayNode values) {
                values.addNull();
            }
            if (schema.path("type").isTextual()) {
                String type = schema.get("type").asText();
                schema.putArray("type").add(type).add("null");
            } else if (schema.has("$ref")) {
                ObjectNode ref = NODES.objectNode().set("$ref", schema.remove("$ref"));
                schema.putArray("anyOf").add(ref).add(NODES.objectNode().put("type", "null"));
            }
        }
        if (!open && schema.has("properties") && !schema.has("additionalProperties") && !schema.has("unevaluatedProperties")) {
            schema.put("additionalProperties", false);
        }
    }

    /** A document whose root is the named schema, with the components beside it for $refs. */
    private static ObjectNode rooted(ObjectNode components, String name) {
        ObjectNode root = NODES.objectNode();
        root.put("$ref", "#/components/schemas/" + name);
        root.set("components", components);
        return root;
    }
}
