package ai.infrastack.gateway.api;

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
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpResponse;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code response_format: json_schema} is carried to every vendor in its own structured-output field, and the
 * answer (from the sandbox, which honours those fields) parses and validates against the schema.
 */
class StructuredOutputEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCHEMA = """
            {"type":"object","properties":{"city":{"type":"string"},"population":{"type":"integer","minimum":1000},
             "landmarks":{"type":"array","items":{"type":"string"},"minItems":1},"coastal":{"type":"boolean"}},
             "required":["city","population","landmarks","coastal"],"additionalProperties":false}""";
    private static RunningGateway gateway;

    @BeforeAll
    static void start() {
        gateway = RunningGateway.start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "gpt-4o            | openai    | /response_format/json_schema/schema",
            "claude-3.5-sonnet | anthropic | /output_config/format/schema",
            "gemini-1.5-pro    | gemini    | /generationConfig/responseJsonSchema",
            "llama-3.1-70b     | together  | /response_format/json_schema/schema",
            "mistral-large     | mistral   | /response_format/json_schema/schema",
            "command-r-plus    | cohere    | /response_format/json_schema"})
    void the_schema_travels_natively_and_the_answer_satisfies_it(String model, String sandbox, String schemaAt) throws Exception {
        HttpResponse<String> r = gateway.post("/chat/completions", "{\"model\":\"" + model + "\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"Facts about Lisbon\"}],\"response_format\":{\"type\":\"json_schema\","
                + "\"json_schema\":{\"name\":\"city_facts\",\"strict\":true,\"schema\":" + SCHEMA + "}}}", RunningGateway.MASTER_KEY);

        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("X-Gateway-Dropped-Params").isEmpty(), "nothing dropped: " + r.headers().map());
        JsonNode sent = JSON.readTree(gateway.sandbox().lastRequest(sandbox).body());
        assertEquals(JSON.readTree(SCHEMA), sent.at(schemaAt), "the upstream request carries the schema: " + sent);
        JsonNode answer = JSON.readTree(JSON.readTree(r.body()).path("choices").get(0).path("message").path("content").asText());
        List<Error> errors = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                .getSchema(JSON.readTree(SCHEMA)).validate(answer);
        assertTrue(errors.isEmpty(), model + ": " + answer + " " + errors);
    }

    @Test
    void json_mode_without_a_schema_is_named_as_dropped_where_the_vendor_has_none() {
        HttpResponse<String> anthropic = gateway.post("/chat/completions", "{\"model\":\"claude-3.5-sonnet\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"JSON please\"}],\"response_format\":{\"type\":\"json_object\"}}", RunningGateway.MASTER_KEY);
        assertEquals(200, anthropic.statusCode(), anthropic.body());
        assertEquals("response_format", anthropic.headers().firstValue("X-Gateway-Dropped-Params").orElse(null));

        HttpResponse<String> gemini = gateway.post("/chat/completions", "{\"model\":\"gemini-1.5-pro\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"JSON please\"}],\"response_format\":{\"type\":\"json_object\"}}", RunningGateway.MASTER_KEY);
        assertTrue(gemini.headers().firstValue("X-Gateway-Dropped-Params").isEmpty(), "Gemini has a JSON mode");
    }
}
