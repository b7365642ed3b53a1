package ai.infrastack.gateway.streaming;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * A relayed stream's answer put back together as a unary answer's one choice (message text and tool
 * calls, finish reason), for a step that keeps what was streamed (the response cache).
 */
final class StreamedAnswer {
    private final StringBuilder text = new StringBuilder();
    private final List<ObjectNode> toolCalls = new ArrayList<>();
    private final List<StringBuilder> arguments = new ArrayList<>();
    private final ObjectMapper mapper;

    StreamedAnswer(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    void text(String fragment) {
        if (fragment != null) {
            text.append(fragment);
        }
    }

    void toolCall(StreamEvent.ToolCallStart start) {
        ObjectNode call = mapper.createObjectNode();
        call.put("id", start.id());
        call.put("type", "function");
        call.putObject("function").put("name", start.name());
        while (toolCalls.size() <= start.index()) {
            toolCalls.add(null);
            arguments.add(new StringBuilder());
        }
        toolCalls.set(start.index(), call);
        if (start.arguments() != null) {
            arguments.get(start.index()).append(start.arguments());
        }
    }

    void arguments(StreamEvent.ToolCallArguments fragment) {
        if (fragment.index() < arguments.size() && fragment.fragment() != null) {
            arguments.get(fragment.index()).append(fragment.fragment());
        }
    }

    /** The answer as OpenAI's {@code choices}: one choice, as a unary completion has it. */
    ArrayNode choices(String finishReason) {
        ArrayNode choices = mapper.createArrayNode();
        ObjectNode choice = choices.addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        if (text.isEmpty() && !toolCalls.isEmpty()) {
            message.putNull("content");
        } else {
            message.put("content", text.toString());
        }
        if (!toolCalls.isEmpty()) {
            ArrayNode calls = message.putArray("tool_calls");
            for (int i = 0; i < toolCalls.size(); i++) {
                if (toolCalls.get(i) != null) {
                    ObjectNode call = toolCalls.get(i).deepCopy();
                    ((ObjectNode) call.get("function")).put("arguments", arguments.get(i).toString());
                    calls.add(call);
                }
            }
        }
        choice.put("finish_reason", finishReason);
        return choices;
    }
}
