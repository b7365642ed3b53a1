package ai.infrastack.gateway.provider.openai;

import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.provider.ProviderQuirks;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Vendor-exact request shaping on the OpenAI wire format: what a client replays from an earlier answer, or
 * what only OpenAI knows, never reaches a strict host; what carries a value and is left out is named.
 */
class ChatRequestShapeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final OpenAiWireTranslator TRANSLATOR = new OpenAiWireTranslator();
    private static final ProviderQuirks MISTRAL = ProviderQuirks.of("seed=random_seed", "alnum9", "omit", "mistral");
    private static ModelSpec mistralLarge;
    private static ModelSpec gpt4o;

    /** An OpenAI SDK conversation: the assistant message replayed exactly as the gateway returned it. */
    private static final String REPLAYED = """
            {"model":"m","store":false,"max_completion_tokens":50,"user":"u-1","seed":7,
             "messages":[
               {"role":"developer","content":"be brief"},
               {"role":"user","name":"ada","content":[{"type":"text","text":"weather?","cache_control":{"type":"ephemeral"}}]},
               {"role":"assistant","content":null,"refusal":null,"annotations":[],"reasoning_content":"hmm",
                "tool_calls":[{"index":0,"id":"call_Xy12abcdefghijklmnopqrstu","type":"function",
                               "function":{"name":"get_weather","arguments":"{}"}}]},
               {"role":"tool","tool_call_id":"call_Xy12abcdefghijklmnopqrstu","content":"sunny"}],
             "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{}},"x-extra":1}}],
             "response_format":{"type":"json_schema","json_schema":{"name":"w","schema":{"type":"object"},"strict":true}}}""";

    @BeforeAll
    static void loadCatalog() {
        ModelCatalog catalog = ModelCatalog.load(Path.of("pricing"));
        mistralLarge = catalog.find("mistral-large").orElseThrow();
        gpt4o = catalog.find("gpt-4o").orElseThrow();
    }

    @Test
    void mistral_gets_only_the_fields_of_its_schema_at_every_depth() throws Exception {
        List<String> dropped = new ArrayList<>();
        ObjectNode out = TRANSLATOR.toUpstream((ObjectNode) JSON.readTree(REPLAYED), mistralLarge, MISTRAL, dropped);

        assertFalse(out.has("store") || out.has("user") || out.has("max_completion_tokens"), out.toString());
        assertEquals(50, out.path("max_tokens").asInt(), "OpenAI's newer name maps to Mistral's output limit");
        assertEquals(7, out.path("random_seed").asInt());
        JsonNode messages = out.get("messages");
        assertEquals("system", messages.get(0).path("role").asText(), "Mistral has no developer role");
        assertEquals(JSON.readTree("{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"weather?\"}]}"), messages.get(1));
        JsonNode assistant = messages.get(2);
        assertEquals(List.of("role", "content", "tool_calls"), fieldNames(assistant), assistant.toString());
        assertEquals(List.of("id", "type", "function"), fieldNames(assistant.get("tool_calls").get(0)));
        assertEquals(9, assistant.get("tool_calls").get(0).path("id").asText().length(), "ids still remapped");
        assertEquals(List.of("name", "parameters"), fieldNames(out.get("tools").get(0).get("function")));
        assertEquals(List.of("name", "schema", "strict"), fieldNames(out.get("response_format").get("json_schema")));

        assertEquals(Set.of("store", "user", "messages[1].name", "messages[1].content[0].cache_control", "tools[0].function.x-extra"),
                Set.copyOf(dropped), "value-carrying fields left out are named; replayed output fields are not");
    }

    @Test
    void openai_keeps_its_own_request_fields_and_loses_only_replayed_output_fields() throws Exception {
        List<String> dropped = new ArrayList<>();
        ObjectNode out = TRANSLATOR.toUpstream((ObjectNode) JSON.readTree(REPLAYED), gpt4o, ProviderQuirks.NONE, dropped);

        assertTrue(out.has("store") && out.has("user") && out.has("max_completion_tokens") && out.has("seed"), out.toString());
        JsonNode assistant = out.get("messages").get(2);
        assertEquals(List.of("role", "content", "tool_calls"), fieldNames(assistant), "refusal: null, annotations, reasoning_content gone");
        assertEquals("developer", out.get("messages").get(0).path("role").asText());
        assertEquals("ada", out.get("messages").get(1).path("name").asText(), "OpenAI knows a user's name");
        assertEquals(List.of("messages[1].content[0].cache_control", "tools[0].function.x-extra"), dropped);
    }

    @Test
    void an_answer_keeps_only_openai_message_fields() throws Exception {
        JsonNode mistralAnswer = JSON.readTree("""
                {"id":"x","object":"chat.completion","created":1,"model":"mistral-large-2411",
                 "choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":"",
                   "tool_calls":[{"id":"D681PevKs","type":"function","function":{"name":"f","arguments":"{}"},"index":0}]}},
                  {"index":1,"finish_reason":"stop","message":{"role":"assistant","tool_calls":null,"content":"hi","prefix":false}}],
                 "usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}""");

        JsonNode choices = TRANSLATOR.fromUpstream(mistralAnswer, mistralLarge).choices();

        assertEquals(JSON.readTree("{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null,\"tool_calls\":[{\"id\":\"D681PevKs\","
                + "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}"), choices.get(0).get("message"));
        assertEquals(JSON.readTree("{\"role\":\"assistant\",\"content\":\"hi\",\"refusal\":null}"), choices.get(1).get("message"));
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
