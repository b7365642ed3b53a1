package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * What a simulator needs to know about a request, independent of the vendor's wire format.
 *
 * @param lastUserText   text of the last user message (empty when there is none)
 * @param toolResultText text of the tool results in the last turn, when {@code lastTurn} is TOOL_RESULT
 * @param maxTokens      output cap in words, or null
 * @param inputTokens    words of all message text (and system) plus 3 per message
 * @param output         the answer's format: text, or JSON (of a schema) for structured-output requests
 */
record Conversation(String model, List<Tool> tools, ToolChoice toolChoice, LastTurn lastTurn,
                    String lastUserText, String toolResultText, Integer maxTokens,
                    List<String> stopSequences, int inputTokens, Output output) {

    Conversation(String model, List<Tool> tools, ToolChoice toolChoice, LastTurn lastTurn, String lastUserText,
                 String toolResultText, Integer maxTokens, List<String> stopSequences, int inputTokens) {
        this(model, tools, toolChoice, lastTurn, lastUserText, toolResultText, maxTokens, stopSequences, inputTokens,
                Output.TEXT);
    }

    Conversation withOutput(Output format) {
        return new Conversation(model, tools, toolChoice, lastTurn, lastUserText, toolResultText, maxTokens,
                stopSequences, inputTokens, format);
    }

    /** What the answer must be: free text, any JSON object, or JSON satisfying {@code schema}. */
    record Output(Kind kind, JsonNode schema) {
        enum Kind { TEXT, JSON_OBJECT, JSON_SCHEMA }

        static final Output TEXT = new Output(Kind.TEXT, null);
        static final Output JSON_OBJECT = new Output(Kind.JSON_OBJECT, null);

        static Output schema(JsonNode schema) {
            return new Output(Kind.JSON_SCHEMA, schema);
        }
    }

    /** USER: a fresh user turn; TOOL_RESULT: tool output to answer; OTHER: e.g. an assistant prefill. */
    enum LastTurn { USER, TOOL_RESULT, OTHER }

    /** A callable tool and the JSON schema of its arguments. */
    record Tool(String name, JsonNode parameters) {
    }

    /** {@code name} is set only for NAMED. */
    record ToolChoice(Mode mode, String name) {
        enum Mode { AUTO, REQUIRED, NONE, NAMED }

        static final ToolChoice AUTO = new ToolChoice(Mode.AUTO, null);
        static final ToolChoice REQUIRED = new ToolChoice(Mode.REQUIRED, null);
        static final ToolChoice NONE = new ToolChoice(Mode.NONE, null);

        static ToolChoice named(String name) {
            return new ToolChoice(Mode.NAMED, name);
        }
    }
}
