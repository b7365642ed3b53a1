package ai.infrastack.gateway.api;

import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A client's mistake is never a 5xx: fifty malformed bodies all get a 4xx in the spec's format. */
class MalformedBodiesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static RunningGateway gateway;

    @BeforeAll
    static void start() {
        gateway = RunningGateway.start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    static List<byte[]> malformedBodies() {
        List<String> texts = new ArrayList<>(List.of(
                "", " ", "null", "true", "42", "\"a string\"", "[]", "[1,2,3]", "{", "}", "{\"model\":",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]} trailing",
                "{\"model\": 42, \"messages\": []}",
                "{\"model\": \"gpt-4o\"}",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                "{\"model\": \"\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                "{\"model\": \"gpt-4o\", \"messages\": \"hi\"}",
                "{\"model\": \"gpt-4o\", \"messages\": []}",
                "{\"model\": \"gpt-4o\", \"messages\": [42]}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"content\": \"hi\"}]}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\"}]}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": 7}]}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"video\"}]}]}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"assistant\", \"content\": null, \"tool_calls\": 5}]}",
                "{\"model\": \"claude-3-haiku\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"c1\", \"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": \"{not json\"}}]}]}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": 1e309}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": -1}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"top_p\": 1.5}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 99999999999999999999999}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": -5}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 1.5}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"frequency_penalty\": 3}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"presence_penalty\": \"x\"}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stop\": [1, 2]}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stop\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"stream\": \"yes\"}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"tools\": {}}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"tools\": [{\"type\": \"function\"}]}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"tool_choice\": \"sometimes\"}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"routing\": {\"strategy\": \"random\"}}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"budget\": {\"max_cost\": -1}}",
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"response\": {\"include_cost\": \"no\"}}",
                "{\"model\": \"gpt-4o\", \"model\": \"gpt-4o-mini\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                "[".repeat(5000) + "]".repeat(5000),
                "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": 1" + "0".repeat(500) + "}"));
        List<byte[]> bodies = new ArrayList<>();
        texts.forEach(t -> bodies.add(t.getBytes(StandardCharsets.UTF_8)));
        Random random = new Random(7);
        while (bodies.size() < 50) {
            byte[] binary = new byte[64 + random.nextInt(512)];
            random.nextBytes(binary);
            bodies.add(binary);
        }
        return bodies;
    }

    @Test
    void fifty_malformed_bodies_all_get_4xx_in_the_error_format() throws Exception {
        List<byte[]> bodies = malformedBodies();
        assertTrue(bodies.size() >= 50);
        for (int i = 0; i < bodies.size(); i++) {
            HttpResponse<String> r = gateway.postBytes("/chat/completions", bodies.get(i), RunningGateway.MASTER_KEY);
            String what = "body #" + i + " got " + r.statusCode() + ": " + r.body();
            assertTrue(r.statusCode() >= 400 && r.statusCode() < 500, what);
            JsonNode err = JSON.readTree(r.body()).get("error");
            assertEquals("invalid_request_error", err.get("type").asText(), what);
        }
    }
}
