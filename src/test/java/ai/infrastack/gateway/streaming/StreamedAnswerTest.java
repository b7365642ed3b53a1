package ai.infrastack.gateway.streaming;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A relayed stream put back together is the choice a unary answer would have had. */
class StreamedAnswerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void text_fragments_become_the_message_content() {
        StreamedAnswer answer = new StreamedAnswer(JSON);
        answer.text("Hel");
        answer.text("lo");
        JsonNode choice = answer.choices("stop").get(0);
        assertEquals("assistant", choice.path("message").path("role").asText());
        assertEquals("Hello", choice.path("message").path("content").asText());
        assertEquals("stop", choice.path("finish_reason").asText());
        assertEquals(0, choice.path("index").asInt());
    }

    @Test
    void tool_calls_are_assembled_from_their_start_and_argument_fragments() {
        StreamedAnswer answer = new StreamedAnswer(JSON);
        answer.toolCall(new StreamEvent.ToolCallStart(0, "call_a", "lookup", ""));
        answer.arguments(new StreamEvent.ToolCallArguments(0, "{\"q\":"));
        answer.toolCall(new StreamEvent.ToolCallStart(1, "call_b", "sum", "{\"a\":1}"));
        answer.arguments(new StreamEvent.ToolCallArguments(0, "\"x\"}"));
        JsonNode message = answer.choices("tool_calls").get(0).path("message");
        assertTrue(message.path("content").isNull(), "no text: content null, as OpenAI sends it");
        assertEquals("call_a", message.path("tool_calls").get(0).path("id").asText());
        assertEquals("{\"q\":\"x\"}", message.path("tool_calls").get(0).path("function").path("arguments").asText());
        assertEquals("sum", message.path("tool_calls").get(1).path("function").path("name").asText());
        assertEquals("{\"a\":1}", message.path("tool_calls").get(1).path("function").path("arguments").asText());
    }
}
