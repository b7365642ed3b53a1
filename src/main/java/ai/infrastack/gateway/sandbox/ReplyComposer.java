package ai.infrastack.gateway.sandbox;

import ai.infrastack.gateway.sandbox.Conversation.LastTurn;
import ai.infrastack.gateway.sandbox.Conversation.Tool;
import ai.infrastack.gateway.sandbox.Conversation.ToolChoice;
import ai.infrastack.gateway.sandbox.SandboxReply.Finish;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Decides the simulated answer, the same way for every vendor: a tool call when tools are offered to a
 * fresh user turn (arguments satisfying the tool's parameters), JSON when a structured output is asked for
 * (satisfying its schema, or an object echoing the request), an acknowledgement of tool results, otherwise an
 * echo of the user's text; then stop sequences and the max-tokens cap are applied.
 */
final class ReplyComposer {

    static final int ECHO_CHARS = 200;
    static final int TOOL_CALL_OVERHEAD_TOKENS = 10;

    private ReplyComposer() {
    }

    static SandboxReply compose(Conversation conversation) {
        Tool tool = toolToCall(conversation);
        if (tool != null) {
            ObjectNode arguments = SchemaInstance.objectOf(tool.parameters());
            String json = SandboxJson.write(arguments);
            return new SandboxReply(null, new SandboxReply.ToolCall(tool.name(), arguments, json), Finish.TOOL_CALL,
                    null, TOOL_CALL_OVERHEAD_TOKENS + SandboxText.countWords(json));
        }
        String text = conversation.lastTurn() == LastTurn.TOOL_RESULT
                ? "Tool result received: " + conversation.toolResultText()
                : "Sandbox reply from " + conversation.model() + ": "
                        + SandboxText.firstChars(conversation.lastUserText(), ECHO_CHARS);
        switch (conversation.output().kind()) {
            case JSON_SCHEMA:
                return json(SandboxJson.write(SchemaInstance.of(conversation.output().schema())));
            case JSON_OBJECT:
                return json(SandboxJson.write(SandboxJson.object().put("answer", text)));
            default:
                return limit(text, conversation);
        }
    }

    /** JSON is never cut by stop sequences or the cap: a truncated object would not parse. */
    private static SandboxReply json(String text) {
        return new SandboxReply(text, null, Finish.END, null, SandboxText.countWords(text));
    }

    private static Tool toolToCall(Conversation conversation) {
        ToolChoice choice = conversation.toolChoice();
        if (conversation.tools().isEmpty() || conversation.lastTurn() != LastTurn.USER
                || choice.mode() == ToolChoice.Mode.NONE) {
            return null;
        }
        if (choice.mode() == ToolChoice.Mode.NAMED) {
            for (Tool tool : conversation.tools()) {
                if (tool.name().equals(choice.name())) {
                    return tool;
                }
            }
        }
        return conversation.tools().get(0);
    }

    /** The earliest stop sequence cuts first; the word cap wins if it bites before that. */
    private static SandboxReply limit(String text, Conversation conversation) {
        Finish finish = Finish.END;
        String matched = null;
        int cut = -1;
        for (String stop : conversation.stopSequences()) {
            int at = stop.isEmpty() ? -1 : text.indexOf(stop);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
                matched = stop;
            }
        }
        if (cut >= 0) {
            text = text.substring(0, cut);
            finish = Finish.STOP_SEQUENCE;
        }
        Integer max = conversation.maxTokens();
        if (max != null && SandboxText.countWords(text) > max) {
            text = SandboxText.firstWords(text, max);
            finish = Finish.LENGTH;
            matched = null;
        }
        return new SandboxReply(text, null, finish, matched, SandboxText.countWords(text));
    }
}
