package ai.infrastack.gateway.sandbox;

import ai.infrastack.gateway.sandbox.Conversation.LastTurn;
import ai.infrastack.gateway.sandbox.Conversation.Tool;
import ai.infrastack.gateway.sandbox.Conversation.ToolChoice;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Strict validation of an OpenAI-style Chat Completions body into a {@link Conversation}, with OpenAI's error
 * wording ({@link InvalidRequest} with param and code). Shared by the OpenAI-compatible vendors (OpenAI, Mistral,
 * Together); each passes {@link Rules} for where it differs. Unknown top-level fields are the caller's job,
 * because every vendor answers them differently.
 */
final class ChatCompletionsRequest {

    /**
     * Where a vendor's Chat Completions dialect differs.
     *
     * @param reasoningModels    OpenAI's o-series/gpt-5 rules (temperature 1 only, no max_tokens)
     * @param maxStopSequences   longest {@code stop} array accepted
     * @param anyToolChoice      {@code tool_choice:"any"} accepted as a synonym of "required" (Mistral)
     * @param toolCallIds        checks every tool-call id on input (assistant tool_calls and tool messages)
     */
    record Rules(boolean reasoningModels, int maxStopSequences, boolean anyToolChoice, ToolCallIdRule toolCallIds) {
    }

    /** Throws {@link InvalidRequest} for a tool-call id the vendor refuses. */
    @FunctionalInterface
    interface ToolCallIdRule {
        void check(String id);
    }

    static final Rules OPENAI = new Rules(true, 4, false, id -> { });

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");
    private static final Set<String> USER_PART_TYPES = Set.of("text", "image_url", "input_audio", "file");

    private ChatCompletionsRequest() {
    }

    /** Validates everything but unknown top-level fields. */
    static Conversation read(JsonNode root, Rules rules) {
        JsonNode modelNode = root.get("model");
        if (modelNode == null || !modelNode.isTextual() || modelNode.asText().isEmpty()) {
            throw new InvalidRequest("you must provide a model parameter", null, null);
        }
        String model = modelNode.asText();
        JsonNode messages = root.get("messages");
        if (messages == null || messages.isNull()) {
            throw new InvalidRequest("Missing required parameter: 'messages'.", "messages", "missing_required_parameter");
        }
        if (!messages.isArray()) {
            throw invalidType("messages", "an array", messages);
        }
        if (messages.isEmpty()) {
            throw new InvalidRequest("Invalid 'messages': empty array. Expected an array with minimum length 1, "
                    + "but got an empty array instead.", "messages", "empty_array");
        }
        boolean reasoning = rules.reasoningModels() && isReasoningModel(model);
        checkSampling(root, reasoning);
        Integer maxTokens = maxTokens(root, reasoning);
        List<String> stop = stopSequences(root.get("stop"), rules.maxStopSequences());
        checkChoicesAndStream(root);
        List<Tool> tools = tools(root.get("tools"));
        ToolChoice toolChoice = toolChoice(root.get("tool_choice"), tools, rules.anyToolChoice());

        int inputTokens = checkMessages(messages, rules.toolCallIds());
        JsonNode last = messages.get(messages.size() - 1);
        String lastRole = last.path("role").asText();
        LastTurn lastTurn = "tool".equals(lastRole) ? LastTurn.TOOL_RESULT
                : "user".equals(lastRole) ? LastTurn.USER : LastTurn.OTHER;
        return new Conversation(model, tools, toolChoice, lastTurn, lastUserText(messages),
                trailingToolResults(messages), maxTokens, stop, inputTokens)
                .withOutput(output(root.get("response_format")));
    }

    /** {@code response_format}: text, json_object, or json_schema with a {@code json_schema.name} and schema. */
    private static Conversation.Output output(JsonNode format) {
        if (format == null || format.isNull()) {
            return Conversation.Output.TEXT;
        }
        if (!format.isObject()) {
            throw invalidType("response_format", "an object", format);
        }
        String type = format.path("type").asText(null);
        if (type == null) {
            throw missing("response_format.type");
        }
        switch (type) {
            case "text":
                return Conversation.Output.TEXT;
            case "json_object":
                return Conversation.Output.JSON_OBJECT;
            case "json_schema": {
                JsonNode jsonSchema = format.get("json_schema");
                if (jsonSchema == null || jsonSchema.isNull()) {
                    throw missing("response_format.json_schema");
                }
                if (!jsonSchema.isObject()) {
                    throw invalidType("response_format.json_schema", "an object", jsonSchema);
                }
                if (!jsonSchema.path("name").isTextual()) {
                    throw missing("response_format.json_schema.name");
                }
                JsonNode schema = jsonSchema.path("schema");
                if (!schema.isMissingNode() && !schema.isObject()) {
                    throw invalidType("response_format.json_schema.schema", "an object", schema);
                }
                return Conversation.Output.schema(schema.isObject() ? schema : SandboxJson.object());
            }
            default:
                throw new InvalidRequest("Invalid value: '" + type + "'. Supported values are: 'text', 'json_object', "
                        + "and 'json_schema'.", "response_format.type", "invalid_value");
        }
    }

    private static boolean isReasoningModel(String model) {
        return model.startsWith("o1") || model.startsWith("o3") || model.startsWith("o4") || model.startsWith("gpt-5");
    }

    private static void checkSampling(JsonNode root, boolean reasoningModel) {
        JsonNode temperature = root.get("temperature");
        checkRange("temperature", temperature, 0, 2);
        if (temperature != null && !temperature.isNull() && reasoningModel && temperature.doubleValue() != 1.0) {
            throw new InvalidRequest("Unsupported value: 'temperature' does not support " + temperature.asText()
                    + " with this model. Only the default (1) value is supported.", "temperature", "unsupported_value");
        }
        checkRange("top_p", root.get("top_p"), 0, 1);
        checkRange("frequency_penalty", root.get("frequency_penalty"), -2, 2);
        checkRange("presence_penalty", root.get("presence_penalty"), -2, 2);
    }

    private static void checkRange(String field, JsonNode value, double min, double max) {
        if (value == null || value.isNull()) {
            return;
        }
        if (!value.isNumber()) {
            throw invalidType(field, "a decimal", value);
        }
        if (value.doubleValue() < min) {
            throw new InvalidRequest("Invalid '" + field + "': decimal below minimum value. Expected a value >= "
                    + number(min) + ", but got " + value.asText() + " instead.", field, "decimal_below_min_value");
        }
        if (value.doubleValue() > max) {
            throw new InvalidRequest("Invalid '" + field + "': decimal above maximum value. Expected a value <= "
                    + number(max) + ", but got " + value.asText() + " instead.", field, "decimal_above_max_value");
        }
    }

    private static String number(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }

    private static Integer maxTokens(JsonNode root, boolean reasoningModel) {
        JsonNode legacy = root.get("max_tokens");
        if (legacy != null && !legacy.isNull() && reasoningModel) {
            throw new InvalidRequest("Unsupported parameter: 'max_tokens' is not supported with this model. "
                    + "Use 'max_completion_tokens' instead.", "max_tokens", "unsupported_parameter");
        }
        Integer legacyValue = positiveInt("max_tokens", legacy);
        Integer value = positiveInt("max_completion_tokens", root.get("max_completion_tokens"));
        return value != null ? value : legacyValue;
    }

    private static Integer positiveInt(String field, JsonNode value) {
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber()) {
            throw invalidType(field, "an integer", value);
        }
        if (value.asLong() < 1) {
            throw new InvalidRequest("Invalid '" + field + "': integer below minimum value. Expected a value >= 1, "
                    + "but got " + value.asText() + " instead.", field, "integer_below_min_value");
        }
        return (int) Math.min(Integer.MAX_VALUE, value.asLong());
    }

    private static List<String> stopSequences(JsonNode stop, int maxLength) {
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        if (stop.isTextual()) {
            return List.of(stop.asText());
        }
        if (!stop.isArray()) {
            throw invalidType("stop", "a string or an array of strings", stop);
        }
        if (stop.size() > maxLength) {
            throw new InvalidRequest("Invalid 'stop': array too long. Expected an array with maximum length " + maxLength
                    + ", but got an array with length " + stop.size() + " instead.", "stop", "array_above_max_length");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < stop.size(); i++) {
            if (!stop.get(i).isTextual()) {
                throw invalidType("stop[" + i + "]", "a string", stop.get(i));
            }
            out.add(stop.get(i).asText());
        }
        return out;
    }

    private static void checkChoicesAndStream(JsonNode root) {
        JsonNode n = root.get("n");
        if (n != null && !n.isNull()) {
            if (!n.isIntegralNumber()) {
                throw invalidType("n", "an integer", n);
            }
            if (n.asInt() < 1 || n.asInt() > 128) {
                throw new InvalidRequest("Invalid 'n': integer out of range. Expected a value between 1 and 128, but "
                        + "got " + n.asText() + " instead.", "n", "integer_out_of_range");
            }
        }
        JsonNode stream = root.get("stream");
        if (stream != null && !stream.isNull() && !stream.isBoolean()) {
            throw invalidType("stream", "a boolean", stream);
        }
        JsonNode options = root.get("stream_options");
        if (options != null && !options.isNull() && !root.path("stream").asBoolean(false)) {
            throw new InvalidRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                    "stream_options", null);
        }
    }

    private static List<Tool> tools(JsonNode tools) {
        if (tools == null || tools.isNull()) {
            return List.of();
        }
        if (!tools.isArray()) {
            throw invalidType("tools", "an array", tools);
        }
        if (tools.isEmpty()) {
            throw new InvalidRequest("Invalid 'tools': empty array. Expected an array with minimum length 1, but "
                    + "got an empty array instead.", "tools", "empty_array");
        }
        List<Tool> out = new ArrayList<>();
        for (int i = 0; i < tools.size(); i++) {
            String at = "tools[" + i + "]";
            JsonNode tool = tools.get(i);
            String type = tool.path("type").asText(null);
            if (type == null) {
                throw missing(at + ".type");
            }
            if (!"function".equals(type)) {
                throw new InvalidRequest("Invalid value: '" + type + "'. Supported values are: 'function'"
                        + " (the sandbox does not simulate 'custom' tools).", at + ".type", "invalid_value");
            }
            JsonNode function = tool.get("function");
            if (function == null || !function.isObject()) {
                throw missing(at + ".function");
            }
            JsonNode name = function.get("name");
            if (name == null || !name.isTextual()) {
                throw missing(at + ".function.name");
            }
            if (!SandboxText.isToolName(name.asText(), 64)) {
                throw new InvalidRequest("Invalid '" + at + ".function.name': string does not match pattern. Expected "
                        + "a string that matches the pattern '^[a-zA-Z0-9_-]+$'.", at + ".function.name", "invalid_value");
            }
            JsonNode parameters = function.path("parameters");
            if (!parameters.isMissingNode() && !parameters.isObject()) {
                throw invalidType(at + ".function.parameters", "an object", parameters);
            }
            out.add(new Tool(name.asText(), parameters));
        }
        return out;
    }

    private static ToolChoice toolChoice(JsonNode choice, List<Tool> tools, boolean anyToolChoice) {
        if (choice == null || choice.isNull()) {
            return ToolChoice.AUTO;
        }
        if (tools.isEmpty()) {
            throw new InvalidRequest("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' "
                    + "are specified.", "tool_choice", null);
        }
        if (choice.isTextual()) {
            switch (choice.asText()) {
                case "none":
                    return ToolChoice.NONE;
                case "auto":
                    return ToolChoice.AUTO;
                case "required":
                    return ToolChoice.REQUIRED;
                case "any":
                    if (anyToolChoice) {
                        return ToolChoice.REQUIRED;
                    }
                    // fall through: OpenAI has no "any"
                default:
                    throw new InvalidRequest("Invalid value: '" + choice.asText() + "'. Supported values are: "
                            + "'none', 'auto', and 'required'.", "tool_choice", "invalid_value");
            }
        }
        if (!choice.isObject() || !"function".equals(choice.path("type").asText())) {
            throw new InvalidRequest("Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or "
                    + "{\"type\": \"function\", \"function\": {\"name\": ...}}.", "tool_choice", "invalid_value");
        }
        JsonNode name = choice.path("function").path("name");
        if (!name.isTextual()) {
            throw missing("tool_choice.function.name");
        }
        for (Tool tool : tools) {
            if (tool.name().equals(name.asText())) {
                return ToolChoice.named(name.asText());
            }
        }
        throw new InvalidRequest("Invalid value for 'tool_choice': function '" + name.asText()
                + "' is not among the provided 'tools'.", "tool_choice", "invalid_value");
    }

    /** Validates every message and the tool_calls/tool pairing; returns the input token count. */
    private static int checkMessages(JsonNode messages, ToolCallIdRule idRule) {
        int tokens = 0;
        Set<String> unanswered = new LinkedHashSet<>();
        int toolCallsAt = -1;
        boolean toolWindow = false;
        for (int i = 0; i < messages.size(); i++) {
            String at = "messages[" + i + "]";
            JsonNode message = messages.get(i);
            if (!message.isObject()) {
                throw invalidType(at, "an object", message);
            }
            JsonNode roleNode = message.get("role");
            if (roleNode == null || roleNode.isNull()) {
                throw missing(at + ".role");
            }
            String role = roleNode.asText();
            if (!ROLES.contains(role)) {
                throw new InvalidRequest("Invalid value: '" + role + "'. Supported values are: 'system', 'assistant', "
                        + "'user', 'tool', and 'developer'.", at + ".role", "invalid_value");
            }
            if (!"tool".equals(role)) {
                if (!unanswered.isEmpty()) {
                    throw unansweredToolCalls(toolCallsAt, unanswered);
                }
                toolWindow = false;
            }
            tokens += 3 + checkContent(message, role, at);
            if ("assistant".equals(role)) {
                toolCallsAt = i;
                toolWindow = collectToolCalls(message.get("tool_calls"), at, unanswered, idRule);
            } else if ("tool".equals(role)) {
                if (!toolWindow) {
                    throw new InvalidRequest("Invalid parameter: messages with role 'tool' must be a response to a "
                            + "preceeding message with 'tool_calls'.", "messages.[" + i + "].role", null);
                }
                JsonNode id = message.get("tool_call_id");
                if (id == null || !id.isTextual()) {
                    throw missing(at + ".tool_call_id");
                }
                idRule.check(id.asText());
                if (!unanswered.remove(id.asText())) {
                    throw new InvalidRequest("Invalid parameter: 'tool_call_id' of '" + id.asText() + "' not found in "
                            + "'tool_calls' of previous message.", "messages.[" + i + "].tool_call_id", null);
                }
            }
        }
        if (!unanswered.isEmpty()) {
            throw unansweredToolCalls(toolCallsAt, unanswered);
        }
        return tokens;
    }

    private static InvalidRequest unansweredToolCalls(int at, Set<String> ids) {
        return new InvalidRequest("An assistant message with 'tool_calls' must be followed by tool messages "
                + "responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
                + String.join(", ", ids), "messages.[" + at + "].role", null);
    }

    /** Returns true when the assistant message carries tool calls (their ids are added to {@code ids}). */
    private static boolean collectToolCalls(JsonNode calls, String at, Set<String> ids, ToolCallIdRule idRule) {
        if (calls == null || calls.isNull()) {
            return false;
        }
        if (!calls.isArray()) {
            throw invalidType(at + ".tool_calls", "an array", calls);
        }
        for (int j = 0; j < calls.size(); j++) {
            String callAt = at + ".tool_calls[" + j + "]";
            JsonNode call = calls.get(j);
            if (!call.path("id").isTextual()) {
                throw missing(callAt + ".id");
            }
            if (!call.path("function").path("name").isTextual()) {
                throw missing(callAt + ".function.name");
            }
            JsonNode arguments = call.path("function").path("arguments");
            if (!arguments.isTextual()) {
                throw invalidType(callAt + ".function.arguments", "a string", arguments);
            }
            idRule.check(call.get("id").asText());
            ids.add(call.get("id").asText());
        }
        return !calls.isEmpty();
    }

    /** Validates a message's content and returns its word count. */
    private static int checkContent(JsonNode message, String role, String at) {
        JsonNode content = message.get("content");
        boolean mayBeEmpty = "assistant".equals(role)
                && (message.path("tool_calls").size() > 0 || message.hasNonNull("refusal") || message.hasNonNull("audio"));
        if (content == null || content.isNull()) {
            if (mayBeEmpty) {
                return 0;
            }
            if (content == null) {
                throw missing(at + ".content");
            }
            throw new InvalidRequest("Invalid value for 'content': expected a string, got null.",
                    "messages.[" + at.substring(9, at.length() - 1) + "].content", null);
        }
        if (content.isTextual()) {
            return SandboxText.countWords(content.asText());
        }
        if (!content.isArray()) {
            throw invalidType(at + ".content", "one of a string or array of objects", content);
        }
        int words = 0;
        for (int j = 0; j < content.size(); j++) {
            String partAt = at + ".content[" + j + "]";
            JsonNode part = content.get(j);
            String type = part.path("type").asText(null);
            if (type == null) {
                throw missing(partAt + ".type");
            }
            boolean allowed = "user".equals(role) ? USER_PART_TYPES.contains(type)
                    : "text".equals(type) || "assistant".equals(role) && "refusal".equals(type);
            if (!allowed) {
                String supported = "user".equals(role) ? "'text', 'image_url', 'input_audio', and 'file'"
                        : "assistant".equals(role) ? "'text' and 'refusal'" : "'text'";
                throw new InvalidRequest("Invalid value: '" + type + "'. Supported values are: " + supported + ".",
                        partAt + ".type", "invalid_value");
            }
            if ("text".equals(type)) {
                JsonNode text = part.get("text");
                if (text == null || !text.isTextual()) {
                    throw missing(partAt + ".text");
                }
                words += SandboxText.countWords(text.asText());
            }
        }
        return words;
    }

    private static InvalidRequest missing(String param) {
        return new InvalidRequest("Missing required parameter: '" + param + "'.", param, "missing_required_parameter");
    }

    static InvalidRequest invalidType(String param, String expected, JsonNode got) {
        return new InvalidRequest("Invalid type for '" + param + "': expected " + expected + ", but got "
                + kind(got) + " instead.", param, "invalid_type");
    }

    private static String kind(JsonNode node) {
        if (node.isTextual()) {
            return "a string";
        }
        if (node.isNumber()) {
            return node.isIntegralNumber() ? "an integer" : "a decimal";
        }
        if (node.isBoolean()) {
            return "a boolean";
        }
        if (node.isArray()) {
            return "an array";
        }
        return node.isObject() ? "an object" : "null";
    }

    /** Text of the last user message (text parts joined by a space); tolerant, since it runs before validation. */
    private static String lastUserText(JsonNode messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            JsonNode message = messages.get(i);
            if ("user".equals(message.path("role").asText())) {
                return text(message.get("content"));
            }
        }
        return "";
    }

    /**
     * Text of the latest user turn. Tool results count as a turn of their own (Anthropic sends them as a user
     * message), so a conversation ending in tool messages carries no directives and both vendors agree.
     */
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

    /** The content of the trailing run of tool messages, joined by newlines. */
    private static String trailingToolResults(JsonNode messages) {
        int first = messages.size();
        while (first > 0 && "tool".equals(messages.get(first - 1).path("role").asText())) {
            first--;
        }
        StringBuilder out = new StringBuilder();
        for (int i = first; i < messages.size(); i++) {
            if (out.length() > 0) {
                out.append('\n');
            }
            out.append(text(messages.get(i).get("content")));
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
                if (out.length() > 0) {
                    out.append(' ');
                }
                out.append(part.get("text").asText());
            }
        }
        return out.toString();
    }
}
