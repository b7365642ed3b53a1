package ai.infrastack.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** What makes two requests the same question for the cache, and what does not. */
class RequestFingerprintTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final RequestFingerprint fingerprint = new RequestFingerprint(JSON);

    private String of(String json) throws Exception {
        return fingerprint.of(JSON.readTree(json), "gpt-4o");
    }

    private static final String BASE = """
            {"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":0,"max_tokens":10}""";

    @Test
    void key_order_and_number_form_do_not_matter() throws Exception {
        assertEquals(of(BASE), of("""
                {"max_tokens":10.0,"temperature":0.00,"messages":[{"content":"hi","role":"user"}],"model":"gpt-4o"}"""));
    }

    @Test
    void who_pays_how_it_is_delivered_and_rendered_do_not_matter() throws Exception {
        assertEquals(of(BASE), of("""
                {"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"temperature":0,"max_tokens":10,
                 "user":"u-9","budget":{"tracking_id":"t","project_id":"p","max_cost":1},"metadata":{"a":"b"},
                 "routing":{"enable_caching":true},"response":{"include_model_info":true},
                 "stream":true,"stream_options":{"include_usage":true}}"""));
    }

    @Test
    void the_resolved_model_not_the_name_typed_is_the_model() throws Exception {
        JsonNode alias = JSON.readTree(BASE.replace("\"gpt-4o\"", "\"openai/gpt-4o\""));
        assertEquals(of(BASE), fingerprint.of(alias, "gpt-4o"));
        assertNotEquals(of(BASE), fingerprint.of(JSON.readTree(BASE), "gpt-4o-mini"));
    }

    @Test
    void messages_sampling_parameters_and_tools_change_the_question() throws Exception {
        String base = of(BASE);
        assertNotEquals(base, of(BASE.replace("\"hi\"", "\"hi!\"")));
        assertNotEquals(base, of(BASE.replace("\"temperature\":0", "\"temperature\":0.5")));
        assertNotEquals(base, of(BASE.replace("\"max_tokens\":10", "\"max_tokens\":11")));
        assertNotEquals(base, of(BASE.replace("\"max_tokens\":10", "\"max_tokens\":10,\"top_p\":0.9")));
        assertNotEquals(base, of(BASE.replace("\"max_tokens\":10", "\"max_tokens\":10,\"stop\":[\"x\"]")));
        assertNotEquals(base, of(BASE.replace("\"max_tokens\":10",
                "\"max_tokens\":10,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{}}}]")));
        assertNotEquals(base, of(BASE.replace("\"max_tokens\":10", "\"max_tokens\":10,\"response_format\":{\"type\":\"json_object\"}")));
    }
}
