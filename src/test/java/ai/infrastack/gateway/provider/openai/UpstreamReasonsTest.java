package ai.infrastack.gateway.provider.openai;

import ai.infrastack.gateway.core.GatewayException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Whatever shape an OpenAI-compatible host's error body has, the client gets its reason and the field in its own terms. */
class UpstreamReasonsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final OpenAiWireTranslator TRANSLATOR = new OpenAiWireTranslator();

    @Test
    void mistrals_validation_details_become_the_message_and_the_first_field_the_param() throws Exception {
        GatewayException e = TRANSLATOR.toError(422, JSON.readTree("""
                {"object":"error","message":{"detail":[
                  {"type":"extra_forbidden","loc":["body","messages",3,"assistant","refusal"],"msg":"Extra inputs are not permitted","input":null},
                  {"type":"extra_forbidden","loc":["body","random_seed"],"msg":"Input should be a valid integer","input":"x"}]},
                 "type":"invalid_request_error","param":null,"code":null}"""), Map.of(), "mistral");

        assertEquals(400, e.status());
        assertEquals("messages[3].refusal", e.param());
        assertEquals("messages[3].refusal: Extra inputs are not permitted; seed: Input should be a valid integer", e.getMessage());
        assertEquals(422, e.upstreamStatus().intValue());
    }

    @Test
    void a_content_part_and_a_tool_call_are_named_without_pydantic_union_tags() {
        assertEquals("messages[0].content[1].cache_control", ValidationDetails.clientPath(JSON.valueToTree(
                new Object[] {"body", "messages", 0, "user", "content", 1, "text", "cache_control"})));
        assertEquals("messages[2].tool_calls[0].function.strict", ValidationDetails.clientPath(JSON.valueToTree(
                new Object[] {"body", "messages", 2, "assistant", "tool_calls", 0, "function", "strict"})));
    }

    @Test
    void openais_param_and_a_plain_message_pass_through() throws Exception {
        GatewayException openAi = TRANSLATOR.toError(400, JSON.readTree("""
                {"error":{"message":"Unsupported parameter: 'max_tokens'","type":"invalid_request_error","param":"max_tokens","code":"unsupported_parameter"}}"""),
                Map.of(), "openai");
        assertEquals("max_tokens", openAi.param());
        assertEquals("unsupported_parameter", openAi.code());

        GatewayException mistral = TRANSLATOR.toError(400, JSON.readTree("""
                {"object":"error","message":"Tool call id was call_1 but must be a-z, A-Z, 0-9, with a length of 9.","type":"invalid_function_call","param":null,"code":"3280"}"""),
                Map.of(), "mistral");
        assertEquals("Tool call id was call_1 but must be a-z, A-Z, 0-9, with a length of 9.", mistral.getMessage());
        assertEquals("3280", mistral.code());
    }
}
