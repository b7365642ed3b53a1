package ai.infrastack.gateway.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * One OpenAI-compatible vendor's rules for {@link ChatCompletionsSimulator}. Every dialect has the same parts
 * in the same order: identity and validation, the success body, the stream, headers, errors.
 */
abstract class ChatCompletionsDialect {

    // ---- identity and validation -------------------------------------------------------------------

    /** Short name used by {@link SandboxUpstreams#baseUrl(String)}, e.g. "mistral". */
    abstract String format();

    String pathPrefix() {
        return "/" + format();
    }

    abstract ChatCompletionsRequest.Rules rules();

    /** The vendor's answer to fields it does not accept, or null when the body's fields are all accepted. */
    abstract SandboxResponse refuseFields(ChatCall call, JsonNode root);

    /** Rules beyond {@link ChatCompletionsRequest} (throws {@link InvalidRequest}); none by default. */
    void checkConversation(JsonNode root) {
    }

    // ---- the success body --------------------------------------------------------------------------

    abstract SandboxResponse completion(ChatCall call, Conversation conversation, SandboxReply reply, int choices,
                                        JsonNode root);

    /** The reply's finish reason; a {@code finish} directive overrides it for a text reply. */
    String finishReason(ChatCall call, SandboxReply reply, boolean stream) {
        String directed = call.directives.finish();
        if (directed != null && !reply.isToolCall()) {
            return directed;
        }
        switch (reply.finish()) {
            case LENGTH:
                return "length";
            case TOOL_CALL:
                return "tool_calls";
            default:
                return "stop";
        }
    }

    /** {@code {id, type, function: {name, arguments}}} of the reply's tool call. */
    static ObjectNode toolCall(String id, SandboxReply reply) {
        ObjectNode toolCall = SandboxJson.object();
        toolCall.put("id", id);
        toolCall.put("type", "function");
        toolCall.putObject("function")
                .put("name", reply.toolCall().name())
                .put("arguments", reply.toolCall().argumentsJson());
        return toolCall;
    }

    // ---- the stream --------------------------------------------------------------------------------

    /** Every {@code data:} frame of the stream, {@code [DONE]} included. */
    abstract List<String> streamFrames(ChatCall call, Conversation conversation, SandboxReply reply, int choices,
                                       JsonNode root);

    /** The event that replaces the rest of a stream cut by an {@code error_after} directive. */
    abstract String midStreamError(ChatCall call);

    /** A chunk with the common fields and an empty choices array. */
    static ObjectNode chunk(String id, long created, String model) {
        ObjectNode chunk = SandboxJson.object();
        chunk.put("id", id);
        chunk.put("object", "chat.completion.chunk");
        chunk.put("created", created);
        chunk.put("model", model);
        chunk.putArray("choices");
        return chunk;
    }

    static ArrayNode choices(ObjectNode chunk) {
        return (ArrayNode) chunk.get("choices");
    }

    // ---- headers and errors ------------------------------------------------------------------------

    /** A successful response with the vendor's headers (request ids, rate limits, timing). */
    abstract SandboxResponse answered(SandboxResponse response, ChatCall call, SandboxReply reply, int choices);

    abstract SandboxResponse notFound(ChatCall call, String method, String vendorPath);

    abstract SandboxResponse methodNotAllowed(ChatCall call, String method, String vendorPath);

    abstract SandboxResponse unauthorized(ChatCall call, String key);

    abstract SandboxResponse unparseable(ChatCall call);

    abstract SandboxResponse invalid(ChatCall call, InvalidRequest invalid);

    /** The error a {@code [sandbox:status=N]} directive asks for, with the body and headers the vendor sends. */
    abstract SandboxResponse directedError(ChatCall call, Conversation conversation);
}
