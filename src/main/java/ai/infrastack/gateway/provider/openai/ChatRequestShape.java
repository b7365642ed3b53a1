package ai.infrastack.gateway.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The fields an OpenAI-compatible host accepts, at every depth: each message (per role), content part (per
 * type), tool call, tool definition and response format is rebuilt from an allowlist, so output-only fields
 * that clients replay from an earlier answer ({@code refusal}, {@code annotations}, {@code audio},
 * {@code reasoning_content}, a tool call's {@code index}) and fields of other vendors never reach a host that
 * refuses them. A value-carrying field left out is named in {@code dropped}, in the client's terms
 * ({@code store}, {@code messages[0].name}).
 *
 * <p>{@link #OPENAI}: OpenAI's request schema for messages; top-level fields pass through (OpenAI-compatible
 * hosts such as Together take extras like {@code top_k}). {@link #MISTRAL}: Mistral's schema, which refuses any
 * other field at any depth (422 {@code extra_forbidden}); {@code developer} messages become {@code system}.
 * A host's route file names its shape in {@code requestFields}.
 */
public enum ChatRequestShape {
    OPENAI(null,
            Map.of("system", Set.of("role", "content", "name"),
                    "developer", Set.of("role", "content", "name"),
                    "user", Set.of("role", "content", "name"),
                    "assistant", Set.of("role", "content", "refusal", "name", "audio", "tool_calls", "function_call"),
                    "tool", Set.of("role", "content", "tool_call_id"),
                    "function", Set.of("role", "content", "name")),
            Map.of("text", Set.of("type", "text"),
                    "image_url", Set.of("type", "image_url"),
                    "input_audio", Set.of("type", "input_audio"),
                    "file", Set.of("type", "file"),
                    "refusal", Set.of("type", "refusal")),
            Set.of("name", "description", "parameters", "strict")),
    MISTRAL(Set.of("model", "messages", "temperature", "top_p", "max_tokens", "stream", "stop", "random_seed",
            "metadata", "response_format", "tools", "tool_choice", "presence_penalty", "frequency_penalty", "n",
            "prediction", "parallel_tool_calls", "prompt_mode", "guardrails", "safe_prompt", "reasoning_effort",
            "prompt_cache_key"),
            Map.of("system", Set.of("role", "content"),
                    "user", Set.of("role", "content"),
                    "assistant", Set.of("role", "content", "tool_calls", "prefix"),
                    "tool", Set.of("role", "content", "tool_call_id", "name")),
            Map.of("text", Set.of("type", "text"),
                    "image_url", Set.of("type", "image_url"),
                    "document_url", Set.of("type", "document_url", "document_name"),
                    "input_audio", Set.of("type", "input_audio")),
            Set.of("name", "description", "parameters", "strict"));

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final Set<String> IMAGE_URL = Set.of("url", "detail");
    private static final Set<String> TOOL_CALL = Set.of("id", "type", "function");
    private static final Set<String> FUNCTION_CALL = Set.of("name", "arguments");
    private static final Set<String> JSON_SCHEMA = Set.of("name", "description", "schema", "strict");
    /** Top-level fields the gateway manages itself, never named as dropped. */
    private static final Set<String> MANAGED = Set.of("stream_options");

    /** Top-level fields the host accepts (after renames), or null: everything passes. */
    private final Set<String> topLevel;
    private final Map<String, Set<String>> messageFields;
    private final Map<String, Set<String>> partFields;
    private final Set<String> functionFields;

    ChatRequestShape(Set<String> topLevel, Map<String, Set<String>> messageFields, Map<String, Set<String>> partFields,
                     Set<String> functionFields) {
        this.topLevel = topLevel;
        this.messageFields = messageFields;
        this.partFields = partFields;
        this.functionFields = functionFields;
    }

    /** The shape a route file's {@code requestFields} names; OpenAI's when it names none. */
    public static ChatRequestShape of(String requestFields) {
        return requestFields == null || requestFields.isBlank() ? OPENAI : valueOf(requestFields.trim().toUpperCase());
    }

    /** Whether the host takes this top-level field (e.g. {@code max_completion_tokens}). */
    boolean accepts(String field) {
        return topLevel == null || topLevel.contains(field);
    }

    /** Rebuilds {@code body} in place: top-level fields, messages, tools, tool choice, response format. */
    void apply(ObjectNode body, List<String> dropped) {
        if (topLevel != null) {
            for (Iterator<Map.Entry<String, JsonNode>> fields = body.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (!topLevel.contains(field.getKey())) {
                    if (!MANAGED.contains(field.getKey()) && carriesValue(field.getValue())) {
                        dropped.add(field.getKey());
                    }
                    fields.remove();
                }
            }
        }
        if (body.get("messages") instanceof ArrayNode messages) {
            ArrayNode shaped = JSON.arrayNode();
            for (int i = 0; i < messages.size(); i++) {
                shaped.add(message(messages.get(i), "messages[" + i + "]", dropped));
            }
            body.set("messages", shaped);
        }
        if (body.get("tools") instanceof ArrayNode tools) {
            ArrayNode shaped = JSON.arrayNode();
            for (int i = 0; i < tools.size(); i++) {
                shaped.add(tool(tools.get(i), "tools[" + i + "]", dropped));
            }
            body.set("tools", shaped);
        }
        if (body.get("tool_choice") instanceof ObjectNode choice && "function".equals(choice.path("type").asText())) {
            ObjectNode shaped = JSON.objectNode().put("type", "function");
            shaped.putObject("function").put("name", choice.path("function").path("name").asText());
            body.set("tool_choice", shaped);
        }
        if (body.get("response_format") instanceof ObjectNode format && format.get("json_schema") instanceof ObjectNode schema) {
            ObjectNode shaped = JSON.objectNode().put("type", format.path("type").asText());
            shaped.set("json_schema", only(schema, JSON_SCHEMA, "response_format.json_schema", dropped));
            body.set("response_format", shaped);
        }
    }

    private JsonNode message(JsonNode message, String at, List<String> dropped) {
        if (!message.isObject()) {
            return message;
        }
        String role = message.path("role").asText();
        if (this == MISTRAL && "developer".equals(role)) {
            role = "system";
        }
        Set<String> fields = messageFields.get(role);
        if (fields == null) {
            return message; // a role the host does not know: its own error says so
        }
        ObjectNode out = only(message, fields, at, dropped);
        out.put("role", role);
        if (out.get("content") instanceof ArrayNode parts) {
            ArrayNode shaped = JSON.arrayNode();
            for (int j = 0; j < parts.size(); j++) {
                shaped.add(part(parts.get(j), at + ".content[" + j + "]", dropped));
            }
            out.set("content", shaped);
        }
        if (out.get("tool_calls") instanceof ArrayNode calls) {
            if (calls.isEmpty()) {
                out.remove("tool_calls");
            } else {
                ArrayNode shaped = JSON.arrayNode();
                for (int j = 0; j < calls.size(); j++) {
                    shaped.add(toolCall(calls.get(j), at + ".tool_calls[" + j + "]", dropped));
                }
                out.set("tool_calls", shaped);
            }
        }
        return out;
    }

    private JsonNode part(JsonNode part, String at, List<String> dropped) {
        Set<String> fields = partFields.get(part.path("type").asText());
        if (fields == null || !part.isObject()) {
            return part;
        }
        ObjectNode out = only(part, fields, at, dropped);
        if (out.get("image_url") instanceof ObjectNode image) {
            out.set("image_url", only(image, IMAGE_URL, at + ".image_url", dropped));
        }
        return out;
    }

    private static JsonNode toolCall(JsonNode call, String at, List<String> dropped) {
        if (!call.isObject() || !call.has("function")) {
            return call; // a custom tool call: OpenAI's own, passed as it is
        }
        ObjectNode out = only(call, TOOL_CALL, at, dropped);
        out.set("function", only(call.get("function"), FUNCTION_CALL, at + ".function", dropped));
        return out;
    }

    private JsonNode tool(JsonNode tool, String at, List<String> dropped) {
        if (!tool.isObject() || !"function".equals(tool.path("type").asText())) {
            return tool;
        }
        ObjectNode out = JSON.objectNode().put("type", "function");
        out.set("function", only(tool.get("function"), functionFields, at + ".function", dropped));
        return out;
    }

    /** A copy with only the allowed fields; null fields are left out silently, others named in {@code dropped}. */
    private static ObjectNode only(JsonNode node, Set<String> allowed, String at, List<String> dropped) {
        ObjectNode out = JSON.objectNode();
        if (node == null || !node.isObject()) {
            return out;
        }
        for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (allowed.contains(field.getKey())) {
                if (!field.getValue().isNull() || "content".equals(field.getKey())) {
                    out.set(field.getKey(), field.getValue());
                }
            } else if (carriesValue(field.getValue()) && !OUTPUT_ONLY.contains(field.getKey())) {
                dropped.add(at + "." + field.getKey());
            }
        }
        return out;
    }

    /** Fields of an answer that clients replay: leaving them out changes nothing the client asked for. */
    private static final Set<String> OUTPUT_ONLY = Set.of("refusal", "annotations", "audio", "reasoning_content",
            "reasoning", "index", "logprobs");

    private static boolean carriesValue(JsonNode value) {
        return !(value == null || value.isNull() || value.isContainerNode() && value.isEmpty());
    }
}
