package ai.infrastack.gateway.sandbox;

import ai.infrastack.gateway.sandbox.Conversation.LastTurn;
import ai.infrastack.gateway.sandbox.Conversation.Tool;
import ai.infrastack.gateway.sandbox.Conversation.ToolChoice;
import ai.infrastack.gateway.sandbox.SandboxReply.Finish;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * OpenAI Chat Completions ({@code POST /openai/v1/chat/completions}): Bearer auth, OpenAI's parameter
 * validation and error envelope {@code {"error":{message,type,param,code}}}, usage where
 * {@code prompt_tokens} includes cached tokens, {@code x-ratelimit-*} headers, {@code data:} streams.
 */
final class OpenAiSimulator implements VendorSimulator {

    static final String FORMAT = "openai";
    private static final String PREFIX = "/openai";
    private static final String CHAT_COMPLETIONS = PREFIX + "/v1/chat/completions";

    private static final Set<String> FIELDS = Set.of("model", "messages", "audio", "frequency_penalty",
            "function_call", "functions", "logit_bias", "logprobs", "max_completion_tokens", "max_tokens",
            "metadata", "modalities", "n", "parallel_tool_calls", "prediction", "presence_penalty",
            "prompt_cache_key", "prompt_cache_retention", "reasoning_effort", "response_format",
            "safety_identifier", "seed", "service_tier", "stop", "store", "stream", "stream_options",
            "temperature", "tool_choice", "tools", "top_logprobs", "top_p", "user", "verbosity",
            "web_search_options");
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");
    private static final Set<String> USER_PART_TYPES = Set.of("text", "image_url", "input_audio", "file");
    private static final long REQUESTS_LIMIT = 10_000;
    private static final long TOKENS_LIMIT = 30_000_000;
    private static final String FINGERPRINT = "fp_sandbox01";
    private static final String PARSE_ERROR = "We could not parse the JSON body of your request. (HINT: This likely "
            + "means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what "
            + "was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us "
            + "through our help center at help.openai.com.)";

    @Override
    public String format() {
        return FORMAT;
    }

    @Override
    public String pathPrefix() {
        return PREFIX;
    }

    @Override
    public String basePath() {
        return PREFIX + "/v1";
    }

    // ---- routing and auth -------------------------------------------------------------------------

    @Override
    public SandboxResponse handle(RecordedRequest request, long defaultLatencyMs) {
        Call call = new Call(RequestHash.of(request.body()), SandboxDirectives.parse(null), defaultLatencyMs);
        String vendorPath = request.path().substring(PREFIX.length());
        if (!CHAT_COMPLETIONS.equals(request.path())) {
            return error(call, 404, "Invalid URL (" + request.method() + " " + vendorPath + ")",
                    "invalid_request_error", null, null);
        }
        if (!"POST".equals(request.method())) {
            return error(call, 405, "Invalid method for URL (" + request.method() + " " + vendorPath + ")",
                    "invalid_request_error", null, null);
        }
        String key = bearerKey(request.header("authorization"));
        if (key == null || key.contains("invalid")) {
            return error(call, 401, "Incorrect API key provided: " + mask(key)
                            + ". You can find your API key at https://platform.openai.com/account/api-keys.",
                    "invalid_request_error", null, "invalid_api_key");
        }
        JsonNode root = SandboxJson.readOrNull(request.body());
        if (root == null || !root.isObject()) {
            return error(call, 400, PARSE_ERROR, "invalid_request_error", null, null);
        }
        call = new Call(call.hash, SandboxDirectives.parse(directiveText(root.path("messages"))), defaultLatencyMs);
        try {
            Conversation conversation = readConversation(root);
            call.promptTokens = conversation.inputTokens();
            if (call.directives.status() != 0) {
                return directedError(call, conversation);
            }
            SandboxReply reply = ReplyComposer.compose(conversation);
            int choices = root.path("n").asInt(1);
            SandboxResponse response = root.path("stream").asBoolean(false)
                    ? stream(call, conversation, reply, choices,
                            root.path("stream_options").path("include_usage").asBoolean(false))
                    : completion(call, conversation, reply, choices);
            return headers(response, call);
        } catch (InvalidRequest invalid) {
            return error(call, invalid.status, invalid.getMessage(), "invalid_request_error", invalid.param,
                    invalid.code);
        }
    }

    /** Per-request facts the headers and bodies share. */
    private static final class Call {
        final RequestHash hash;
        final SandboxDirectives directives;
        final long defaultLatencyMs;
        final long created = System.currentTimeMillis() / 1000;
        int promptTokens;

        Call(RequestHash hash, SandboxDirectives directives, long defaultLatencyMs) {
            this.hash = hash;
            this.directives = directives;
            this.defaultLatencyMs = defaultLatencyMs;
        }
    }

    private static String bearerKey(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String key = authorization.substring(7).trim();
        return key.isEmpty() ? null : key;
    }

    private static String mask(String key) {
        if (key == null) {
            return "<none>";
        }
        return key.length() <= 8 ? key.charAt(0) + "*****" : key.substring(0, 3) + "*****" + key.substring(key.length() - 4);
    }

    // ---- validation: request → Conversation ---------------------------------------------------------

    private static Conversation readConversation(JsonNode root) {
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new InvalidRequest("Unrecognized request argument supplied: " + name, null, null);
            }
        }
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
        checkSampling(root, model);
        Integer maxTokens = maxTokens(root, model);
        List<String> stop = stopSequences(root.get("stop"));
        checkChoicesAndStream(root);
        List<Tool> tools = tools(root.get("tools"));
        ToolChoice toolChoice = toolChoice(root.get("tool_choice"), tools);

        int inputTokens = checkMessages(messages);
        JsonNode last = messages.get(messages.size() - 1);
        String lastRole = last.path("role").asText();
        LastTurn lastTurn = "tool".equals(lastRole) ? LastTurn.TOOL_RESULT
                : "user".equals(lastRole) ? LastTurn.USER : LastTurn.OTHER;
        return new Conversation(model, tools, toolChoice, lastTurn, lastUserText(messages),
                trailingToolResults(messages), maxTokens, stop, inputTokens);
    }

    private static boolean isReasoningModel(String model) {
        return model.startsWith("o1") || model.startsWith("o3") || model.startsWith("o4") || model.startsWith("gpt-5");
    }

    private static void checkSampling(JsonNode root, String model) {
        JsonNode temperature = root.get("temperature");
        checkRange("temperature", temperature, 0, 2);
        if (temperature != null && !temperature.isNull() && isReasoningModel(model) && temperature.doubleValue() != 1.0) {
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

    private static Integer maxTokens(JsonNode root, String model) {
        JsonNode legacy = root.get("max_tokens");
        if (legacy != null && !legacy.isNull() && isReasoningModel(model)) {
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

    private static List<String> stopSequences(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        if (stop.isTextual()) {
            return List.of(stop.asText());
        }
        if (!stop.isArray()) {
            throw invalidType("stop", "a string or an array of strings", stop);
        }
        if (stop.size() > 4) {
            throw new InvalidRequest("Invalid 'stop': array too long. Expected an array with maximum length 4, but "
                    + "got an array with length " + stop.size() + " instead.", "stop", "array_above_max_length");
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

    private static ToolChoice toolChoice(JsonNode choice, List<Tool> tools) {
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
    private static int checkMessages(JsonNode messages) {
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
                toolWindow = collectToolCalls(message.get("tool_calls"), at, unanswered);
            } else if ("tool".equals(role)) {
                if (!toolWindow) {
                    throw new InvalidRequest("Invalid parameter: messages with role 'tool' must be a response to a "
                            + "preceeding message with 'tool_calls'.", "messages.[" + i + "].role", null);
                }
                JsonNode id = message.get("tool_call_id");
                if (id == null || !id.isTextual()) {
                    throw missing(at + ".tool_call_id");
                }
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
    private static boolean collectToolCalls(JsonNode calls, String at, Set<String> ids) {
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

    private static InvalidRequest invalidType(String param, String expected, JsonNode got) {
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
    private static String directiveText(JsonNode messages) {
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

    // ---- success body ------------------------------------------------------------------------------

    /** Aliases resolve to snapshots in the response, as the real API does. */
    private static String responseModel(String model) {
        return "gpt-4o".equals(model) ? "gpt-4o-2024-08-06" : model;
    }

    private static String finishReason(Finish finish) {
        switch (finish) {
            case LENGTH:
                return "length";
            case TOOL_CALL:
                return "tool_calls";
            default:
                return "stop";
        }
    }

    private static String toolCallId(Call call, int choice) {
        return "call_" + call.hash.alnum("call" + choice, 24);
    }

    private SandboxResponse completion(Call call, Conversation conversation, SandboxReply reply, int choices) {
        ObjectNode body = SandboxJson.object();
        body.put("id", "chatcmpl-" + call.hash.alnum("chatcmpl", 29));
        body.put("object", "chat.completion");
        body.put("created", call.created);
        body.put("model", responseModel(conversation.model()));
        ArrayNode choiceArray = body.putArray("choices");
        for (int i = 0; i < choices; i++) {
            ObjectNode choice = choiceArray.addObject();
            choice.put("index", i);
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            if (reply.isToolCall()) {
                message.putNull("content");
                ObjectNode toolCall = message.putArray("tool_calls").addObject();
                toolCall.put("id", toolCallId(call, i));
                toolCall.put("type", "function");
                ObjectNode function = toolCall.putObject("function");
                function.put("name", reply.toolCall().name());
                function.put("arguments", reply.toolCall().argumentsJson());
            } else {
                message.put("content", reply.text());
            }
            message.putNull("refusal");
            message.putArray("annotations");
            choice.putNull("logprobs");
            choice.put("finish_reason", finishReason(reply.finish()));
        }
        body.set("usage", usage(call, reply, choices));
        body.put("service_tier", "default");
        body.put("system_fingerprint", FINGERPRINT);
        return SandboxResponse.json(200, SandboxJson.write(body));
    }

    /** prompt_tokens includes cached tokens; completion_tokens includes reasoning tokens. */
    private static ObjectNode usage(Call call, SandboxReply reply, int choices) {
        SandboxDirectives directives = call.directives;
        long cached = directives.cached();
        long prompt = Math.max(call.promptTokens, cached);
        long completion = (long) reply.outputTokens() * choices + directives.reasoning();
        ObjectNode usage = SandboxJson.object();
        usage.put("prompt_tokens", prompt);
        usage.put("completion_tokens", completion);
        usage.put("total_tokens", prompt + completion);
        ObjectNode promptDetails = usage.putObject("prompt_tokens_details");
        promptDetails.put("cached_tokens", cached);
        promptDetails.put("audio_tokens", 0);
        ObjectNode completionDetails = usage.putObject("completion_tokens_details");
        completionDetails.put("reasoning_tokens", directives.reasoning());
        completionDetails.put("audio_tokens", 0);
        completionDetails.put("accepted_prediction_tokens", 0);
        completionDetails.put("rejected_prediction_tokens", 0);
        return usage;
    }

    // ---- stream ------------------------------------------------------------------------------------

    private SandboxResponse stream(Call call, Conversation conversation, SandboxReply reply, int choices,
                                   boolean includeUsage) {
        String id = "chatcmpl-" + call.hash.alnum("chatcmpl", 29);
        String model = responseModel(conversation.model());
        List<String> frames = new ArrayList<>();
        for (int i = 0; i < choices; i++) {
            ObjectNode first = chunk(id, call.created, model, includeUsage);
            ObjectNode delta = choice(first, i, null);
            delta.put("role", "assistant");
            if (reply.isToolCall()) {
                delta.putNull("content");
                ObjectNode toolCall = delta.putArray("tool_calls").addObject();
                toolCall.put("index", 0);
                toolCall.put("id", toolCallId(call, i));
                toolCall.put("type", "function");
                toolCall.putObject("function").put("name", reply.toolCall().name()).put("arguments", "");
                delta.putNull("refusal");
                frames.add(SseFrames.data(first));
                for (String fragment : SandboxText.pieces(reply.toolCall().argumentsJson(), 2)) {
                    ObjectNode chunk = chunk(id, call.created, model, includeUsage);
                    ObjectNode argumentDelta = choice(chunk, i, null).putArray("tool_calls").addObject();
                    argumentDelta.put("index", 0);
                    argumentDelta.putObject("function").put("arguments", fragment);
                    frames.add(SseFrames.data(chunk));
                }
            } else {
                delta.put("content", "");
                delta.putNull("refusal");
                frames.add(SseFrames.data(first));
                for (String word : SandboxText.wordDeltas(reply.text())) {
                    ObjectNode chunk = chunk(id, call.created, model, includeUsage);
                    choice(chunk, i, null).put("content", word);
                    frames.add(SseFrames.data(chunk));
                }
            }
            ObjectNode last = chunk(id, call.created, model, includeUsage);
            choice(last, i, finishReason(reply.finish()));
            frames.add(SseFrames.data(last));
        }
        if (includeUsage) {
            ObjectNode usageChunk = chunk(id, call.created, model, true);
            usageChunk.set("usage", usage(call, reply, choices));
            frames.add(SseFrames.data(usageChunk));
        }
        frames.add(SseFrames.data("[DONE]"));
        int errorAfter = call.directives.errorAfter();
        if (errorAfter >= 0 && errorAfter < frames.size()) {
            frames = new ArrayList<>(frames.subList(0, errorAfter));
            frames.add(SseFrames.data(errorBody(
                    "The server had an error while processing your request. Sorry about that!", "server_error", null, null)));
        }
        return SandboxResponse.stream(frames, call.directives.chunkDelayMs(), call.directives.failAfter());
    }

    private static ObjectNode chunk(String id, long created, String model, boolean includeUsage) {
        ObjectNode chunk = SandboxJson.object();
        chunk.put("id", id);
        chunk.put("object", "chat.completion.chunk");
        chunk.put("created", created);
        chunk.put("model", model);
        chunk.put("service_tier", "default");
        chunk.put("system_fingerprint", FINGERPRINT);
        chunk.putArray("choices");
        if (includeUsage) {
            chunk.putNull("usage");
        }
        return chunk;
    }

    /** Adds a choice to the chunk and returns its (empty) delta. */
    private static ObjectNode choice(ObjectNode chunk, int index, String finishReason) {
        ObjectNode choice = ((ArrayNode) chunk.get("choices")).addObject();
        choice.put("index", index);
        ObjectNode delta = choice.putObject("delta");
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return delta;
    }

    // ---- headers and errors ------------------------------------------------------------------------

    private static SandboxResponse headers(SandboxResponse response, Call call) {
        long latency = call.directives.latencyMs(call.defaultLatencyMs);
        return response
                .header("x-request-id", "req_" + call.hash.hex("request", 32))
                .header("openai-processing-ms", call.directives.processingMs(latency))
                .header("openai-version", "2020-10-01")
                .header("openai-organization", "org-sandbox")
                .header("x-ratelimit-limit-requests", REQUESTS_LIMIT)
                .header("x-ratelimit-limit-tokens", TOKENS_LIMIT)
                .header("x-ratelimit-remaining-requests", REQUESTS_LIMIT - 1)
                .header("x-ratelimit-remaining-tokens", TOKENS_LIMIT - call.promptTokens)
                .header("x-ratelimit-reset-requests", "6ms")
                .header("x-ratelimit-reset-tokens", "0s")
                .timed(call.directives, call.defaultLatencyMs);
    }

    private static ObjectNode errorBody(String message, String type, String param, String code) {
        ObjectNode body = SandboxJson.object();
        ObjectNode error = body.putObject("error");
        error.put("message", message);
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return body;
    }

    private static SandboxResponse error(Call call, int status, String message, String type, String param, String code) {
        return headers(SandboxResponse.json(status, SandboxJson.write(errorBody(message, type, param, code))), call);
    }

    /** The error a {@code [sandbox:status=N]} directive asks for, with the body and headers OpenAI sends. */
    private static SandboxResponse directedError(Call call, Conversation conversation) {
        int status = call.directives.status();
        String model = conversation.model();
        switch (status) {
            case 401:
                return error(call, status, "Incorrect API key provided: sk-sandbox. You can find your API key at "
                        + "https://platform.openai.com/account/api-keys.", "invalid_request_error", null, "invalid_api_key");
            case 403:
                return error(call, status, "Country, region, or territory not supported", "request_forbidden", null,
                        "unsupported_country_region_territory");
            case 404:
                return error(call, status, "The model `" + model + "` does not exist or you do not have access to it.",
                        "invalid_request_error", null, "model_not_found");
            case 429: {
                long retry = call.directives.retryAfterSeconds();
                return error(call, status, "Rate limit reached for " + model + " in organization org-sandbox on tokens "
                                + "per min (TPM): Limit " + TOKENS_LIMIT + ", Used " + TOKENS_LIMIT + ", Requested "
                                + call.promptTokens + ". Please try again in " + retry + "s. Visit "
                                + "https://platform.openai.com/account/rate-limits to learn more.",
                        "tokens", null, "rate_limit_exceeded")
                        .header("x-ratelimit-remaining-tokens", 0)
                        .header("x-ratelimit-reset-tokens", retry + "s")
                        .header("retry-after", retry);
            }
            case 500:
                return error(call, status, "The server had an error while processing your request. Sorry about that!",
                        "server_error", null, null);
            case 503:
                return error(call, status, "The server is overloaded or not ready yet.", "server_error", null, null);
            default:
                return error(call, status, "Sandbox directive requested HTTP " + status + ".",
                        status >= 500 ? "server_error" : "invalid_request_error", null, null);
        }
    }
}
