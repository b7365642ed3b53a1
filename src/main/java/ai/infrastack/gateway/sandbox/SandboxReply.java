package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The simulated model output, vendor-neutral.
 *
 * @param text         reply text (for a tool call: null)
 * @param toolCall     the tool call, or null
 * @param stopSequence the stop sequence that ended the text, when finish is STOP_SEQUENCE
 * @param outputTokens words of the text, or 10 + words of the arguments for a tool call
 */
record SandboxReply(String text, ToolCall toolCall, Finish finish, String stopSequence, int outputTokens) {

    enum Finish { END, LENGTH, STOP_SEQUENCE, TOOL_CALL }

    /** @param argumentsJson compact JSON of {@code arguments}, as OpenAI sends it */
    record ToolCall(String name, ObjectNode arguments, String argumentsJson) {
    }

    boolean isToolCall() {
        return toolCall != null;
    }
}
