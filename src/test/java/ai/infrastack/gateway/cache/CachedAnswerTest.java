package ai.infrastack.gateway.cache;

import ai.infrastack.gateway.core.Usage;
import ai.infrastack.gateway.streaming.StreamEvent;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A cached answer survives Redis (JSON) whole, and replays as the stream events a live answer has. */
class CachedAnswerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static CachedAnswer toolCallAnswer() throws Exception {
        ArrayNode choices = (ArrayNode) JSON.readTree("""
                [{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[
                  {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]},
                  "finish_reason":"tool_calls"}]""");
        return new CachedAnswer(choices, new Usage(40, 10, 0, 12, 0, false), "gpt-4o-2024-08-06");
    }

    @Test
    void survives_its_json_form_whole() throws Exception {
        CachedAnswer answer = toolCallAnswer();
        CachedAnswer back = CachedAnswer.fromJson(JSON, answer.toJson(JSON));
        assertEquals(answer.choices(), back.choices());
        assertEquals(answer.usage(), back.usage());
        assertEquals(answer.upstreamModel(), back.upstreamModel());
    }

    @Test
    void replays_a_tool_call_as_stream_events_ending_with_finish_usage_and_end() throws Exception {
        List<StreamEvent> events = toolCallAnswer().events();
        assertEquals(new StreamEvent.Start(), events.get(0));
        assertEquals(new StreamEvent.ToolCallStart(0, "call_1", "get_weather", "{\"city\":\"Paris\"}"), events.get(1));
        assertEquals(new StreamEvent.Finish("tool_calls"), events.get(2));
        assertEquals(new StreamEvent.UsageReport(new Usage(40, 10, 0, 12, 0, false)), events.get(3));
        assertEquals(new StreamEvent.End(), events.get(4));
        assertEquals(5, events.size(), "no empty text event for a null content");
    }

    @Test
    void only_a_single_choice_answer_is_replayed_as_a_stream() throws Exception {
        assertTrue(toolCallAnswer().streamable());
        ArrayNode two = JSON.createArrayNode();
        two.add(toolCallAnswer().choices().get(0)).add(toolCallAnswer().choices().get(0));
        assertFalse(new CachedAnswer(two, Usage.NONE, "m").streamable());
    }
}
