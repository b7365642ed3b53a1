package ai.infrastack.gateway.sandbox;

import ai.infrastack.gateway.sandbox.Conversation.LastTurn;
import ai.infrastack.gateway.sandbox.Conversation.Tool;
import ai.infrastack.gateway.sandbox.Conversation.ToolChoice;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Strict validation of a Cohere v2 chat body into a {@link Conversation}. Unknown fields ({@code top_p},
 * {@code stop}, {@code n}, …) are 422 "unknown field", as the real API answers; bad values are 400
 * {@code invalid request: …}: {@code p} outside 0.01–0.99, {@code tool_choice} other than REQUIRED/NONE, roles
 * other than system/user/assistant/tool, tool messages without {@code tool_call_id} or answering no call.
 */
final class CohereRequest {

    private static final Set<String> FIELDS = Set.of("model", "messages", "stream", "tools", "strict_tools",
            "documents", "citation_options", "response_format", "safety_mode", "max_tokens", "stop_sequences",
            "temperature", "seed", "frequency_penalty", "presence_penalty", "k", "p", "logprobs", "tool_choice",
            "thinking", "priority");
    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");
    private static final int MAX_STOP_SEQUENCES = 5;
    private static final int MAX_K = 500;

    private CohereRequest() {
    }

    static Conversation read(JsonNode root) {
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new InvalidRequest(422, "unknown field: parameter " + name + " is not a valid field. For proper "
                        + "usage, please refer to https://docs.cohere.com/reference/chat", null, null);
            }
        }
        JsonNode model = root.get("model");
        if (model == null || !model.isTextual() || model.asText().isEmpty()) {
            throw invalid("model must be a non-empty string");
        }
        JsonNode messages = root.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw invalid("messages must be a non-empty list");
        }
        JsonNode stream = root.get("stream");
        if (stream != null && !stream.isNull() && !stream.isBoolean()) {
            throw invalid("stream must be a boolean");
        }
        range(root, "temperature", 0, Double.MAX_VALUE);
        range(root, "p", 0.01, 0.99);
        range(root, "frequency_penalty", 0, 1);
        range(root, "presence_penalty", 0, 1);
        JsonNode k = root.get("k");
        if (k != null && !k.isNull() && (!k.isIntegralNumber() || k.asLong() < 0 || k.asLong() > MAX_K)) {
            throw invalid("k must be an integer between 0 and " + MAX_K + " inclusive");
        }
        JsonNode seed = root.get("seed");
        if (seed != null && !seed.isNull() && !seed.isIntegralNumber()) {
            throw invalid("seed must be an integer");
        }
        Integer maxTokens = null;
        JsonNode max = root.get("max_tokens");
        if (max != null && !max.isNull()) {
            if (!max.isIntegralNumber() || max.asLong() < 1) {
                throw invalid("max_tokens must be a positive integer");
            }
            maxTokens = (int) Math.min(Integer.MAX_VALUE, max.asLong());
        }
        List<String> stop = stopSequences(root.get("stop_sequences"));
        List<Tool> tools = tools(root.get("tools"));
        ToolChoice toolChoice = toolChoice(root.get("tool_choice"), tools);
        int inputTokens = checkMessages(messages);
        String lastRole = messages.get(messages.size() - 1).path("role").asText();
        LastTurn lastTurn = "tool".equals(lastRole) ? LastTurn.TOOL_RESULT
                : "user".equals(lastRole) ? LastTurn.USER : LastTurn.OTHER;
        return new Conversation(model.asText(), tools, toolChoice, lastTurn, lastUserText(messages),
                trailingToolResults(messages), maxTokens, stop, inputTokens)
                .withOutput(output(root.get("response_format")));
    }

    /** v2's {@code response_format}: {@code {"type":"text"}} or {@code {"type":"json_object","json_schema"?:{...}}}. */
    private static Conversation.Output output(JsonNode format) {
        if (format == null || format.isNull()) {
            return Conversation.Output.TEXT;
        }
        if (!format.isObject()) {
            throw invalid("response_format must be an object");
        }
        for (Iterator<String> names = format.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!"type".equals(name) && !"json_schema".equals(name)) {
                throw invalid("invalid response_format: unknown field " + name);
            }
        }
        switch (format.path("type").asText("")) {
            case "text":
                if (format.has("json_schema")) {
                    throw invalid("invalid response_format: json_schema is only valid with type json_object");
                }
                return Conversation.Output.TEXT;
            case "json_object": {
                JsonNode schema = format.get("json_schema");
                if (schema == null || schema.isNull()) {
                    return Conversation.Output.JSON_OBJECT;
                }
                if (!schema.isObject()) {
                    throw invalid("invalid response_format: json_schema must be an object");
                }
                return Conversation.Output.schema(schema);
            }
            default:
                throw invalid("invalid response_format type: must be one of text, json_object");
        }
    }

    /** Text of the latest user turn; trailing tool results carry no directives. Tolerant: runs first. */
    static String directiveText(JsonNode messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            String role = messages.get(i).path("role").asText();
            if ("tool".equals(role)) {
                return "";
            }
            if ("user".equals(role)) {
                return text(messages.get(i).get("content"));
            }
        }
        return "";
    }

    private static InvalidRequest invalid(String message) {
        return new InvalidRequest(400, "invalid request: " + message, null, null);
    }

    private static void range(JsonNode root, String field, double min, double max) {
        JsonNode value = root.get(field);
        if (value == null || value.isNull()) {
            return;
        }
        if (!value.isNumber()) {
            throw invalid(field + " must be a number");
        }
        if (value.doubleValue() < min || value.doubleValue() > max) {
            throw invalid(max == Double.MAX_VALUE ? field + " must be non-negative"
                    : field + " must be between " + plain(min) + " and " + plain(max) + " inclusive");
        }
    }

    private static String plain(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }

    private static List<String> stopSequences(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        if (!stop.isArray()) {
            throw invalid("stop_sequences must be a list of strings");
        }
        if (stop.size() > MAX_STOP_SEQUENCES) {
            throw invalid("stop_sequences can have at most " + MAX_STOP_SEQUENCES + " elements");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode sequence : stop) {
            if (!sequence.isTextual()) {
                throw invalid("stop_sequences must be a list of strings");
            }
            out.add(sequence.asText());
        }
        return out;
    }

    private static List<Tool> tools(JsonNode tools) {
        if (tools == null || tools.isNull()) {
            return List.of();
        }
        if (!tools.isArray()) {
            throw invalid("tools must be a list");
        }
        List<Tool> out = new ArrayList<>();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode tool = tools.get(i);
            if (!"function".equals(tool.path("type").asText())) {
                throw invalid("tools[" + i + "].type must be 'function'");
            }
            JsonNode function = tool.path("function");
            if (!function.path("name").isTextual() || !SandboxText.isToolName(function.get("name").asText(), 64)) {
                throw invalid("tools[" + i + "].function.name must match ^[a-zA-Z0-9_-]{1,64}$");
            }
            JsonNode parameters = function.path("parameters");
            if (!parameters.isMissingNode() && !parameters.isObject()) {
                throw invalid("tools[" + i + "].function.parameters must be an object");
            }
            out.add(new Tool(function.get("name").asText(), parameters));
        }
        return out;
    }

    /** Only "REQUIRED" and "NONE" exist; "auto" is leaving the field out, and no function can be forced. */
    private static ToolChoice toolChoice(JsonNode choice, List<Tool> tools) {
        if (choice == null || choice.isNull()) {
            return ToolChoice.AUTO;
        }
        String value = choice.isTextual() ? choice.asText() : SandboxJson.write(choice);
        if (!"REQUIRED".equals(value) && !"NONE".equals(value)) {
            throw invalid("tool_choice must be one of REQUIRED, NONE; got " + value);
        }
        if (tools.isEmpty()) {
            throw invalid("tool_choice can only be specified when tools are provided");
        }
        return "NONE".equals(value) ? ToolChoice.NONE : ToolChoice.REQUIRED;
    }

    /** Validates roles, contents and tool pairing; returns words of all message text plus 3 per message. */
    private static int checkMessages(JsonNode messages) {
        int tokens = 0;
        Set<String> openCalls = new LinkedHashSet<>();
        for (int i = 0; i < messages.size(); i++) {
            String at = "messages[" + i + "]";
            JsonNode message = messages.get(i);
            String role = message.path("role").asText("");
            if (!ROLES.contains(role)) {
                throw invalid(at + ".role must be one of system, user, assistant, tool; got '" + role + "'");
            }
            if (!"tool".equals(role) && !openCalls.isEmpty()) {
                throw invalid("all tool calls must have a tool result before the next message; missing "
                        + String.join(", ", openCalls));
            }
            tokens += 3;
            switch (role) {
                case "assistant":
                    tokens += checkAssistant(message, at, openCalls);
                    break;
                case "tool": {
                    JsonNode id = message.get("tool_call_id");
                    if (id == null || !id.isTextual() || id.asText().isEmpty()) {
                        throw invalid(at + ".tool_call_id is required for tool messages");
                    }
                    if (!openCalls.remove(id.asText())) {
                        throw invalid(at + ".tool_call_id '" + id.asText() + "' does not match any tool call of the "
                                + "previous assistant message");
                    }
                    tokens += SandboxText.countWords(toolContent(message.get("content"), at));
                    break;
                }
                default: {
                    String text = checkTextContent(message.get("content"), at, "user".equals(role));
                    if (text.isBlank() && "user".equals(role)) {
                        throw invalid("message must be at least 1 token long or tool results must be specified.");
                    }
                    tokens += SandboxText.countWords(text);
                }
            }
        }
        if (!openCalls.isEmpty()) {
            throw invalid("all tool calls must have a tool result; missing " + String.join(", ", openCalls));
        }
        return tokens;
    }

    private static int checkAssistant(JsonNode message, String at, Set<String> openCalls) {
        JsonNode calls = message.get("tool_calls");
        JsonNode content = message.get("content");
        boolean hasCalls = calls != null && calls.isArray() && !calls.isEmpty();
        if (!hasCalls && (content == null || content.isNull())) {
            throw invalid(at + " must have content or tool_calls");
        }
        int words = content == null || content.isNull() ? 0 : SandboxText.countWords(checkTextContent(content, at, false));
        JsonNode plan = message.get("tool_plan");
        if (plan != null && !plan.isNull()) {
            if (!plan.isTextual()) {
                throw invalid(at + ".tool_plan must be a string");
            }
            words += SandboxText.countWords(plan.asText());
        }
        if (!hasCalls) {
            return words;
        }
        for (int j = 0; j < calls.size(); j++) {
            JsonNode call = calls.get(j);
            String callAt = at + ".tool_calls[" + j + "]";
            if (!call.path("id").isTextual() || call.get("id").asText().isEmpty()) {
                throw invalid(callAt + ".id is required");
            }
            if (!call.path("function").path("name").isTextual()) {
                throw invalid(callAt + ".function.name is required");
            }
            if (!call.path("function").path("arguments").isTextual()) {
                throw invalid(callAt + ".function.arguments must be a string");
            }
            openCalls.add(call.get("id").asText());
        }
        return words;
    }

    /** A string, or text parts (and image_url parts for users); returns the text. */
    private static String checkTextContent(JsonNode content, String at, boolean user) {
        if (content == null || content.isNull()) {
            throw invalid(at + ".content is required");
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (!content.isArray()) {
            throw invalid(at + ".content must be a string or a list of content blocks");
        }
        StringBuilder out = new StringBuilder();
        for (int j = 0; j < content.size(); j++) {
            JsonNode part = content.get(j);
            String type = part.path("type").asText("");
            if ("text".equals(type) && part.path("text").isTextual()) {
                out.append(out.length() > 0 ? " " : "").append(part.get("text").asText());
            } else if (!(user && "image_url".equals(type))) {
                throw invalid(at + ".content[" + j + "] has unsupported type '" + type + "'");
            }
        }
        return out.toString();
    }

    /** A tool result: a string, or text and document parts (a document's data as text). */
    private static String toolContent(JsonNode content, String at) {
        if (content == null || content.isNull()) {
            throw invalid(at + ".content is required");
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (!content.isArray()) {
            throw invalid(at + ".content must be a string or a list of content blocks");
        }
        StringBuilder out = new StringBuilder();
        for (int j = 0; j < content.size(); j++) {
            JsonNode part = content.get(j);
            String type = part.path("type").asText("");
            String text;
            if ("text".equals(type)) {
                text = part.path("text").asText();
            } else if ("document".equals(type) && part.path("document").has("data")) {
                JsonNode data = part.get("document").get("data");
                text = data.isTextual() ? data.asText() : SandboxJson.write(data);
            } else {
                throw invalid(at + ".content[" + j + "] must be a text or document block");
            }
            out.append(out.length() > 0 ? "\n" : "").append(text);
        }
        return out.toString();
    }

    private static String text(JsonNode content) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder out = new StringBuilder();
        for (JsonNode part : content) {
            if ("text".equals(part.path("type").asText()) && part.path("text").isTextual()) {
                out.append(out.length() > 0 ? " " : "").append(part.get("text").asText());
            }
        }
        return out.toString();
    }

    private static String lastUserText(JsonNode messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if ("user".equals(messages.get(i).path("role").asText())) {
                return text(messages.get(i).get("content"));
            }
        }
        return "";
    }

    private static String trailingToolResults(JsonNode messages) {
        int first = messages.size();
        while (first > 0 && "tool".equals(messages.get(first - 1).path("role").asText())) {
            first--;
        }
        StringBuilder out = new StringBuilder();
        for (int i = first; i < messages.size(); i++) {
            out.append(out.length() > 0 ? "\n" : "").append(toolContent(messages.get(i).get("content"), ""));
        }
        return out.toString();
    }
}
