package ai.infrastack.gateway.responses;

import ai.infrastack.gateway.support.ProviderMatrix;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * POST /api/v1/responses over real HTTP on every provider (sandbox upstreams): a Response object for a unary
 * call, the Responses event sequence for a stream, a function-call round trip continued with
 * {@code previous_response_id}, structured output through {@code text.format}, and the gateway's usage, cost
 * and latency on the Response.
 */
class ResponsesApiEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = RunningGateway.MASTER_KEY;
    private static final String WEATHER = """
            {"type":"function","name":"get_weather","description":"Weather for a city","parameters":
             {"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}""";
    private static final String SCHEMA = """
            {"type":"object","properties":{"city":{"type":"string"},"population":{"type":"integer"},
             "coastal":{"type":"boolean"}},"required":["city","population","coastal"],"additionalProperties":false}""";
    private static RunningGateway gateway;

    @BeforeAll
    static void start() {
        gateway = RunningGateway.start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    static List<ProviderMatrix.Entry> providers() {
        return ProviderMatrix.entries();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void a_unary_call_is_answered_with_a_response_object_carrying_usage_cost_and_latency(ProviderMatrix.Entry p) throws Exception {
        HttpResponse<String> r = gateway.post("/responses", "{\"model\":\"" + p.model() + "\",\"instructions\":\"Be brief.\","
                + "\"input\":\"Explain the tides\",\"max_output_tokens\":200,\"temperature\":0.5}", KEY);

        assertEquals(200, r.statusCode(), r.body());
        JsonNode response = JSON.readTree(r.body());
        assertEquals("response", response.path("object").asText());
        assertTrue(response.path("id").asText().startsWith("resp_"), r.body());
        assertEquals("completed", response.path("status").asText());
        assertEquals(p.model(), response.path("model").asText());
        assertEquals(p.provider(), response.path("provider").asText());
        assertEquals("Be brief.", response.path("instructions").asText());
        assertEquals(200, response.path("max_output_tokens").asInt());
        JsonNode message = response.path("output").get(0);
        assertEquals("message", message.path("type").asText());
        assertEquals("assistant", message.path("role").asText());
        assertEquals("output_text", message.path("content").get(0).path("type").asText());
        assertTrue(message.path("content").get(0).path("text").asText().contains("Explain the tides"), r.body());
        JsonNode usage = response.path("usage");
        assertTrue(usage.path("input_tokens").asInt() > 0 && usage.path("output_tokens").asInt() > 0, r.body());
        assertEquals(usage.path("input_tokens").asInt() + usage.path("output_tokens").asInt(), usage.path("total_tokens").asInt());
        assertTrue(response.path("cost").path("total_cost").asDouble() > 0, r.body());
        assertTrue(response.path("latency").has("total_time_ms"), r.body());
        JsonNode sent = lastUpstreamRequest();
        assertTrue(sent.toString().contains("Be brief.") && sent.toString().contains("Explain the tides"), sent.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void a_stream_is_the_responses_event_sequence_ending_with_the_whole_response(ProviderMatrix.Entry p) throws Exception {
        HttpResponse<String> r = gateway.post("/responses", "{\"model\":\"" + p.model() + "\",\"input\":\"Write about rivers\","
                + "\"stream\":true}", KEY);

        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<JsonNode> events = events(r.body());
        List<String> types = events.stream().map(e -> e.path("type").asText()).toList();
        assertEquals(List.of("response.created", "response.in_progress", "response.output_item.added",
                "response.content_part.added"), types.subList(0, 4), types.toString());
        assertEquals(List.of("response.output_text.done", "response.content_part.done", "response.output_item.done",
                "response.completed"), types.subList(types.size() - 4, types.size()), types.toString());
        for (int i = 0; i < events.size(); i++) {
            assertEquals(i, events.get(i).path("sequence_number").asInt(), "sequence numbers count up from 0: " + types);
        }
        StringBuilder deltas = new StringBuilder();
        events.stream().filter(e -> e.path("type").asText().equals("response.output_text.delta"))
                .forEach(e -> deltas.append(e.path("delta").asText()));
        assertTrue(deltas.toString().contains("Write about rivers"), deltas.toString());
        JsonNode done = events.get(types.indexOf("response.output_text.done"));
        assertEquals(deltas.toString(), done.path("text").asText());
        JsonNode completed = events.getLast().path("response");
        assertEquals("completed", completed.path("status").asText());
        assertEquals(deltas.toString(), completed.path("output").get(0).path("content").get(0).path("text").asText());
        assertEquals(events.get(2).path("item").path("id").asText(), completed.path("output").get(0).path("id").asText());
        assertTrue(completed.path("usage").path("output_tokens").asInt() > 0, completed.toString());
        assertTrue(completed.path("cost").path("total_cost").asDouble() > 0, completed.toString());
        assertTrue(completed.path("latency").has("ttfb_ms"), completed.toString());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void a_function_call_round_trip_continues_with_previous_response_id(ProviderMatrix.Entry p) throws Exception {
        HttpResponse<String> first = gateway.post("/responses", "{\"model\":\"" + p.model() + "\",\"input\":"
                + "\"What's the weather in Rome?\",\"tools\":[" + WEATHER + "]}", KEY);
        assertEquals(200, first.statusCode(), first.body());
        JsonNode response = JSON.readTree(first.body());
        JsonNode call = response.path("output").findParent("call_id");
        assertNotNull(call, first.body());
        assertEquals("function_call", call.path("type").asText());
        assertEquals("get_weather", call.path("name").asText());
        assertTrue(JSON.readTree(call.path("arguments").asText()).path("location").isTextual(), call.toString());
        assertEquals("get_weather", response.path("tools").get(0).path("name").asText());

        HttpResponse<String> second = gateway.post("/responses", "{\"model\":\"" + p.model() + "\",\"previous_response_id\":\""
                + response.path("id").asText() + "\",\"tools\":[" + WEATHER + "],\"input\":[{\"type\":\"function_call_output\","
                + "\"call_id\":\"" + call.path("call_id").asText() + "\",\"output\":\"21 degrees\"}]}", KEY);

        assertEquals(200, second.statusCode(), second.body());
        JsonNode answer = JSON.readTree(second.body());
        assertEquals(response.path("id").asText(), answer.path("previous_response_id").asText());
        assertTrue(answer.path("output").get(0).path("content").get(0).path("text").asText().contains("21 degrees"), second.body());
        String upstream = lastUpstreamRequest().toString();
        assertTrue(upstream.contains("What's the weather in Rome?") && upstream.contains("get_weather"),
                "the stored conversation reached the provider: " + upstream);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void a_streamed_function_call_arrives_as_an_item_with_argument_deltas(ProviderMatrix.Entry p) throws Exception {
        HttpResponse<String> r = gateway.post("/responses", "{\"model\":\"" + p.model() + "\",\"input\":"
                + "\"What's the weather in Lima?\",\"tools\":[" + WEATHER + "],\"stream\":true}", KEY);

        assertEquals(200, r.statusCode(), r.body());
        List<JsonNode> events = events(r.body());
        JsonNode added = events.stream().filter(e -> e.path("type").asText().equals("response.output_item.added")
                && e.path("item").path("type").asText().equals("function_call")).findFirst().orElseThrow();
        assertEquals("get_weather", added.path("item").path("name").asText());
        StringBuilder arguments = new StringBuilder();
        events.stream().filter(e -> e.path("type").asText().equals("response.function_call_arguments.delta"))
                .forEach(e -> arguments.append(e.path("delta").asText()));
        JsonNode done = events.stream().filter(e -> e.path("type").asText().equals("response.function_call_arguments.done"))
                .findFirst().orElseThrow();
        assertEquals(arguments.toString(), done.path("arguments").asText());
        assertTrue(JSON.readTree(arguments.toString()).path("location").isTextual(), arguments.toString());
        JsonNode completed = events.getLast();
        assertEquals("response.completed", completed.path("type").asText());
        JsonNode item = completed.path("response").path("output").findParent("call_id");
        assertEquals(added.path("item").path("call_id").asText(), item.path("call_id").asText());
        assertEquals(arguments.toString(), item.path("arguments").asText());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void structured_output_through_text_format_satisfies_the_schema(ProviderMatrix.Entry p) throws Exception {
        HttpResponse<String> r = gateway.post("/responses", "{\"model\":\"" + p.model() + "\",\"input\":\"Facts about Porto\","
                + "\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"city_facts\",\"strict\":true,\"schema\":" + SCHEMA + "}}}", KEY);

        assertEquals(200, r.statusCode(), r.body());
        JsonNode response = JSON.readTree(r.body());
        assertEquals("json_schema", response.path("text").path("format").path("type").asText());
        JsonNode answer = JSON.readTree(response.path("output").get(0).path("content").get(0).path("text").asText());
        List<Error> errors = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                .getSchema(JSON.readTree(SCHEMA)).validate(answer);
        assertTrue(errors.isEmpty(), p + ": " + answer + " " + errors);
    }

    @ParameterizedTest(name = "stream {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void an_answer_cut_by_max_output_tokens_is_incomplete(boolean stream) throws Exception {
        HttpResponse<String> r = gateway.post("/responses", "{\"model\":\"claude-3.5-sonnet\",\"input\":\"Tell me a long story"
                + " about seven ships and nine harbours\",\"max_output_tokens\":3,\"stream\":" + stream + "}", KEY);

        assertEquals(200, r.statusCode(), r.body());
        JsonNode response = stream ? events(r.body()).getLast() : JSON.readTree(r.body());
        if (stream) {
            assertEquals("response.incomplete", response.path("type").asText(), r.body());
            response = response.path("response");
        }
        assertEquals("incomplete", response.path("status").asText(), r.body());
        assertEquals("max_output_tokens", response.path("incomplete_details").path("reason").asText(), r.body());
        assertEquals(3, JSON.readTree(gateway.sandbox().lastRequest("anthropic").body()).path("max_tokens").asInt(),
                "max_output_tokens is the vendor's output limit");
    }

    @Test
    void a_named_tool_choice_and_an_input_image_reach_the_vendor() throws Exception {
        String image = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
        HttpResponse<String> r = gateway.post("/responses", "{\"model\":\"gpt-4o\",\"tools\":[" + WEATHER + "],"
                + "\"tool_choice\":{\"type\":\"function\",\"name\":\"get_weather\"},\"input\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"input_text\",\"text\":\"Where is this?\"},{\"type\":\"input_image\",\"image_url\":\"" + image + "\"}]}]}", KEY);

        assertEquals(200, r.statusCode(), r.body());
        JsonNode sent = JSON.readTree(gateway.sandbox().lastRequest("openai").body());
        assertEquals("get_weather", sent.path("tool_choice").path("function").path("name").asText(), sent.toString());
        JsonNode parts = sent.path("messages").get(0).path("content");
        assertEquals("Where is this?", parts.get(0).path("text").asText(), sent.toString());
        assertEquals(image, parts.get(1).path("image_url").path("url").asText(), sent.toString());
        assertEquals("function_call", JSON.readTree(r.body()).path("output").get(0).path("type").asText());
    }

    @Test
    void a_stored_response_is_retrieved_and_deleted_and_then_gone() throws Exception {
        JsonNode created = JSON.readTree(gateway.post("/responses", "{\"model\":\"gpt-4o\",\"input\":\"Keep me\"}", KEY).body());
        String id = created.path("id").asText();

        HttpResponse<String> got = gateway.get("/responses/" + id, KEY);
        assertEquals(200, got.statusCode(), got.body());
        assertEquals(created.path("output"), JSON.readTree(got.body()).path("output"));

        HttpResponse<String> deleted = gateway.delete("/responses/" + id, KEY);
        assertEquals(200, deleted.statusCode(), deleted.body());
        assertTrue(JSON.readTree(deleted.body()).path("deleted").asBoolean());
        HttpResponse<String> gone = gateway.get("/responses/" + id, KEY);
        assertEquals(404, gone.statusCode(), gone.body());
        assertEquals("not_found_error", JSON.readTree(gone.body()).path("error").path("type").asText());
    }

    @Test
    void a_response_created_with_store_false_is_not_kept_and_continuing_it_is_a_400() throws Exception {
        JsonNode created = JSON.readTree(gateway.post("/responses", "{\"model\":\"gpt-4o\",\"input\":\"Forget me\",\"store\":false}", KEY).body());

        assertEquals(404, gateway.get("/responses/" + created.path("id").asText(), KEY).statusCode());
        HttpResponse<String> r = gateway.post("/responses", "{\"model\":\"gpt-4o\",\"input\":\"And then?\",\"previous_response_id\":\""
                + created.path("id").asText() + "\"}", KEY);
        assertError(r, 400, "previous_response_id");
    }

    @Test
    void an_item_reference_resolves_to_the_stored_output_item() throws Exception {
        JsonNode first = JSON.readTree(gateway.post("/responses", "{\"model\":\"claude-3.5-sonnet\",\"input\":\"Say something\"}", KEY).body());
        String itemId = first.path("output").get(0).path("id").asText();

        HttpResponse<String> r = gateway.post("/responses", "{\"model\":\"mistral-large\",\"input\":[{\"role\":\"user\",\"content\":"
                + "\"Say something\"},{\"type\":\"item_reference\",\"id\":\"" + itemId + "\"},{\"role\":\"user\",\"content\":\"More\"}]}", KEY);

        assertEquals(200, r.statusCode(), r.body());
        JsonNode messages = JSON.readTree(gateway.sandbox().lastRequest("mistral").body()).path("messages");
        assertEquals("assistant", messages.get(1).path("role").asText(), messages.toString());
        assertEquals(first.path("output").get(0).path("content").get(0).path("text").asText(), messages.get(1).path("content").asText());

        assertError(gateway.post("/responses", "{\"model\":\"gpt-4o\",\"input\":[{\"type\":\"item_reference\",\"id\":\"msg_nope\"}]}", KEY),
                400, "input[0].id");
    }

    @Test
    void what_the_gateway_cannot_honour_is_a_400_naming_the_parameter() throws Exception {
        assertError(gateway.post("/responses", "{\"model\":\"gpt-4o\",\"input\":\"hi\",\"tools\":[{\"type\":\"web_search\"}]}", KEY),
                400, "tools[0].type");
        assertError(gateway.post("/responses", "{\"model\":\"gpt-4o\",\"input\":\"hi\",\"background\":true}", KEY), 400, "background");
        assertError(gateway.post("/responses", "{\"model\":\"gpt-4o\",\"input\":\"hi\",\"reasoning\":{\"effort\":\"high\"}}", KEY),
                400, "reasoning");
        assertError(gateway.post("/responses", "{\"model\":\"gpt-4o\",\"input\":\"hi\",\"frobnicate\":1}", KEY), 400, "frobnicate");
        assertError(gateway.post("/responses", "{\"model\":\"gpt-4o\"}", KEY), 400, "input");
        assertError(gateway.post("/responses", "{\"model\":\"gpt-4o\",\"input\":\"hi\",\"max_output_tokens\":0}", KEY), 400, "max_output_tokens");
        assertError(gateway.post("/responses", "{\"model\":\"gpt-4o\",\"input\":[{\"type\":\"input_file\"}]}", KEY), 400, "input[0].type");
        assertError(gateway.post("/responses", "{\"model\":\"gpt-4o\",\"input\":\"hi\",\"previous_response_id\":\"resp_unknown\"}", KEY),
                400, "previous_response_id");
        HttpResponse<String> unauthenticated = gateway.post("/responses", "{\"model\":\"gpt-4o\",\"input\":\"hi\"}", "sk-wrong");
        assertEquals(401, unauthenticated.statusCode(), unauthenticated.body());
    }

    private static void assertError(HttpResponse<String> r, int status, String param) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode error = JSON.readTree(r.body()).path("error");
        assertEquals("invalid_request_error", error.path("type").asText(), r.body());
        assertEquals(param, error.path("param").asText(), r.body());
        assertFalse(error.path("message").asText().isBlank());
    }

    /** The {@code data:} of each event, checking that its {@code event:} line names the same type. */
    static List<JsonNode> events(String body) throws Exception {
        List<JsonNode> events = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            if (block.isBlank()) {
                continue;
            }
            String type = null;
            JsonNode data = null;
            for (String line : block.split("\n")) {
                if (line.startsWith("event: ")) {
                    type = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data = JSON.readTree(line.substring(6));
                }
            }
            assertNotNull(data, block);
            assertEquals(type, data.path("type").asText(), block);
            events.add(data);
        }
        return events;
    }

    /** The newest request any vendor simulator received (tests in a class run one at a time). */
    private static JsonNode lastUpstreamRequest() throws Exception {
        return JSON.readTree(gateway.sandbox().recorded().getLast().body());
    }
}
