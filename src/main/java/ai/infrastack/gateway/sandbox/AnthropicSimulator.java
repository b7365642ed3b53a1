package ai.infrastack.gateway.sandbox;

import ai.infrastack.gateway.sandbox.Conversation.LastTurn;
import ai.infrastack.gateway.sandbox.Conversation.Tool;
import ai.infrastack.gateway.sandbox.Conversation.ToolChoice;
import ai.infrastack.gateway.sandbox.SandboxReply.Finish;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Anthropic Messages ({@code POST /anthropic/v1/messages}): {@code x-api-key} and {@code anthropic-version}
 * headers, the API's strict validation (required max_tokens, alternating roles, no system role, paired
 * tool_use/tool_result, no extra fields), usage where {@code input_tokens} excludes cache reads and writes,
 * {@code anthropic-ratelimit-*} headers, named-event streams.
 */
final class AnthropicSimulator implements VendorSimulator {

    static final String FORMAT = "anthropic";
    private static final String PREFIX = "/anthropic";
    private static final String MESSAGES = PREFIX + "/v1/messages";

    private static final Set<String> FIELDS = Set.of("model", "messages", "system", "max_tokens", "metadata",
            "stop_sequences", "stream", "temperature", "top_p", "top_k", "tools", "tool_choice", "thinking",
            "service_tier", "output_config");
    /** The structured-outputs beta's field, accepted only with its {@code anthropic-beta} flag. */
    private static final String OUTPUT_FORMAT_BETA = "structured-outputs-2025-11-13";
    private static final Set<String> VERSIONS = Set.of("2023-06-01", "2023-01-01");
    private static final String BLOCK_TAGS = "'document', 'image', 'redacted_thinking', 'search_result', "
            + "'server_tool_use', 'text', 'thinking', 'tool_result', 'tool_use', 'web_search_tool_result'";
    private static final Set<String> BLOCK_TYPES = Set.of("document", "image", "redacted_thinking", "search_result",
            "server_tool_use", "text", "thinking", "tool_result", "tool_use", "web_search_tool_result");
    private static final Set<String> CUSTOM_TOOL_FIELDS = Set.of("type", "name", "description", "input_schema",
            "cache_control", "strict");
    /** Server tools are versioned types like {@code web_search_20250305}; the sandbox never calls them. */
    private static final List<String> SERVER_TOOL_PREFIXES = List.of("bash_", "text_editor_", "web_search_",
            "web_fetch_", "computer_", "code_execution_", "memory_");
    /** Models that reject temperature and top_p together (Sonnet/Haiku 4.5, Opus 4.1 and later). */
    private static final List<String> SINGLE_SAMPLER_MODELS = List.of("sonnet-4-5", "haiku-4-5", "opus-4-1",
            "opus-4-5", "-4-6", "-4-7", "-4-8", "-5-", "opus-5", "sonnet-5");
    private static final String ORGANIZATION_ID = "00000000-0000-4000-8000-000000000000";
    private static final long REQUESTS_LIMIT = 1_000;
    private static final long INPUT_TOKENS_LIMIT = 80_000;
    private static final long OUTPUT_TOKENS_LIMIT = 16_000;

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
        return PREFIX;
    }

    // ---- routing and auth -------------------------------------------------------------------------

    @Override
    public SandboxResponse handle(RecordedRequest request, long defaultLatencyMs) {
        Call call = new Call(RequestHash.of(request.body()), SandboxDirectives.parse(null), defaultLatencyMs);
        if (!MESSAGES.equals(request.path())) {
            return error(call, 404, "not_found_error", "Not Found");
        }
        if (!"POST".equals(request.method())) {
            return error(call, 405, "invalid_request_error", "Method Not Allowed");
        }
        String key = request.header("x-api-key");
        if (key == null || key.isBlank() || key.contains("invalid")) {
            return error(call, 401, "authentication_error", "invalid x-api-key");
        }
        String version = request.header("anthropic-version");
        if (version == null || version.isBlank()) {
            return error(call, 400, "invalid_request_error", "anthropic-version: header is required");
        }
        if (!VERSIONS.contains(version.trim())) {
            return error(call, 400, "invalid_request_error", "anthropic-version: \"" + version + "\" is not a valid version");
        }
        JsonNode root = SandboxJson.readOrNull(request.body());
        if (root == null || !root.isObject()) {
            return error(call, 400, "invalid_request_error",
                    "There was an error parsing the body of your request. Please make sure it is valid JSON.");
        }
        call = new Call(call.hash, SandboxDirectives.parse(lastUserText(root.path("messages")), request), defaultLatencyMs);
        try {
            Conversation conversation = readConversation(root, request.header("anthropic-beta"));
            call.inputTokens = conversation.inputTokens();
            if (call.directives.status() != 0) {
                return directedError(call, conversation);
            }
            SandboxReply reply = ReplyComposer.compose(conversation);
            SandboxResponse response = root.path("stream").asBoolean(false)
                    ? stream(call, conversation, reply)
                    : message(call, conversation, reply);
            return rateLimitHeaders(headers(response, call), call, false);
        } catch (InvalidRequest invalid) {
            return error(call, invalid.status, "invalid_request_error", invalid.getMessage());
        }
    }

    /** Per-request facts the headers and bodies share. */
    private static final class Call {
        final RequestHash hash;
        final SandboxDirectives directives;
        final long defaultLatencyMs;
        int inputTokens;

        Call(RequestHash hash, SandboxDirectives directives, long defaultLatencyMs) {
            this.hash = hash;
            this.directives = directives;
            this.defaultLatencyMs = defaultLatencyMs;
        }

        String requestId() {
            return "req_011C" + hash.alnum("request", 20);
        }
    }

    // ---- validation: request → Conversation ---------------------------------------------------------

    private static Conversation readConversation(JsonNode root, String betas) {
        JsonNode model = root.get("model");
        if (model == null) {
            throw new InvalidRequest("model: Field required");
        }
        if (!model.isTextual() || model.asText().isEmpty()) {
            throw new InvalidRequest("model: Input should be a valid string");
        }
        JsonNode messages = root.get("messages");
        if (messages == null) {
            throw new InvalidRequest("messages: Field required");
        }
        if (!messages.isArray()) {
            throw new InvalidRequest("messages: Input should be a valid list");
        }
        JsonNode maxTokens = root.get("max_tokens");
        if (maxTokens == null) {
            throw new InvalidRequest("max_tokens: Field required");
        }
        if (!maxTokens.isIntegralNumber()) {
            throw new InvalidRequest("max_tokens: Input should be a valid integer");
        }
        if (maxTokens.asLong() < 1) {
            throw new InvalidRequest("max_tokens: Input should be greater than or equal to 1");
        }
        boolean outputFormatBeta = betas != null && List.of(betas.split("\\s*,\\s*")).contains(OUTPUT_FORMAT_BETA);
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name) && !("output_format".equals(name) && outputFormatBeta)) {
                throw new InvalidRequest(name + ": Extra inputs are not permitted");
            }
        }
        checkSampling(root, model.asText());
        List<String> stop = stopSequences(root.get("stop_sequences"));
        JsonNode stream = root.get("stream");
        if (stream != null && !stream.isBoolean()) {
            throw new InvalidRequest("stream: Input should be a valid boolean");
        }
        checkMetadata(root.get("metadata"));
        checkThinking(root.get("thinking"), maxTokens.asLong());
        int systemWords = systemWords(root.get("system"));
        List<Tool> tools = tools(root.get("tools"));
        ToolChoice toolChoice = toolChoice(root.get("tool_choice"), tools);
        if (messages.isEmpty()) {
            throw new InvalidRequest("messages: at least one message is required");
        }
        int inputTokens = systemWords + checkMessages(messages);
        JsonNode last = messages.get(messages.size() - 1);
        LastTurn lastTurn = "assistant".equals(last.path("role").asText()) ? LastTurn.OTHER
                : hasBlock(last, "tool_result") ? LastTurn.TOOL_RESULT : LastTurn.USER;
        return new Conversation(model.asText(), tools, toolChoice, lastTurn, lastUserText(messages),
                toolResultText(last), (int) Math.min(Integer.MAX_VALUE, maxTokens.asLong()), stop, inputTokens)
                .withOutput(output(root));
    }

    /**
     * Structured outputs: {@code output_config.format} (generally available) or the beta's {@code output_format},
     * both {@code {"type":"json_schema","schema":{...}}}; the answer is a text block holding the JSON.
     */
    private static Conversation.Output output(JsonNode root) {
        JsonNode config = root.get("output_config");
        String at = "output_config.format";
        JsonNode format = null;
        if (config != null && !config.isNull()) {
            if (!config.isObject()) {
                throw new InvalidRequest("output_config: Input should be a valid dictionary");
            }
            for (Iterator<String> names = config.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!"format".equals(name) && !"effort".equals(name)) {
                    throw new InvalidRequest("output_config." + name + ": Extra inputs are not permitted");
                }
            }
            format = config.get("format");
        }
        if (root.has("output_format")) {
            if (format != null) {
                throw new InvalidRequest("output_format: cannot be used together with output_config.format");
            }
            format = root.get("output_format");
            at = "output_format";
        }
        if (format == null || format.isNull()) {
            return Conversation.Output.TEXT;
        }
        if (!format.isObject() || !"json_schema".equals(format.path("type").asText())) {
            throw new InvalidRequest(at + ".type: Input should be 'json_schema'");
        }
        for (Iterator<String> names = format.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!"type".equals(name) && !"schema".equals(name)) {
                throw new InvalidRequest(at + "." + name + ": Extra inputs are not permitted");
            }
        }
        JsonNode schema = format.get("schema");
        if (schema == null || !schema.isObject()) {
            throw new InvalidRequest(at + ".schema: Field required");
        }
        return Conversation.Output.schema(schema);
    }

    private static void checkSampling(JsonNode root, String model) {
        JsonNode temperature = root.get("temperature");
        JsonNode topP = root.get("top_p");
        checkRange("temperature", temperature);
        checkRange("top_p", topP);
        JsonNode topK = root.get("top_k");
        if (topK != null && !topK.isNull()) {
            if (!topK.isIntegralNumber()) {
                throw new InvalidRequest("top_k: Input should be a valid integer");
            }
            if (topK.asLong() < 0) {
                throw new InvalidRequest("top_k: Input should be greater than or equal to 0");
            }
        }
        if (temperature != null && !temperature.isNull() && topP != null && !topP.isNull()) {
            for (String family : SINGLE_SAMPLER_MODELS) {
                if (model.contains(family)) {
                    throw new InvalidRequest("`temperature` and `top_p` cannot both be specified for this model. "
                            + "Please use only one.");
                }
            }
        }
    }

    private static void checkRange(String field, JsonNode value) {
        if (value == null || value.isNull()) {
            return;
        }
        if (!value.isNumber()) {
            throw new InvalidRequest(field + ": Input should be a valid number");
        }
        if (value.doubleValue() < 0) {
            throw new InvalidRequest(field + ": Input should be greater than or equal to 0");
        }
        if (value.doubleValue() > 1) {
            throw new InvalidRequest(field + ": Input should be less than or equal to 1");
        }
    }

    private static List<String> stopSequences(JsonNode stop) {
        if (stop == null || stop.isNull()) {
            return List.of();
        }
        if (!stop.isArray()) {
            throw new InvalidRequest("stop_sequences: Input should be a valid list");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < stop.size(); i++) {
            if (!stop.get(i).isTextual()) {
                throw new InvalidRequest("stop_sequences." + i + ": Input should be a valid string");
            }
            out.add(stop.get(i).asText());
        }
        return out;
    }

    private static void checkMetadata(JsonNode metadata) {
        if (metadata == null || metadata.isNull()) {
            return;
        }
        if (!metadata.isObject()) {
            throw new InvalidRequest("metadata: Input should be a valid dictionary");
        }
        for (Iterator<String> names = metadata.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!"user_id".equals(name)) {
                throw new InvalidRequest("metadata." + name + ": Extra inputs are not permitted");
            }
        }
    }

    private static void checkThinking(JsonNode thinking, long maxTokens) {
        if (thinking == null || thinking.isNull()) {
            return;
        }
        String type = thinking.path("type").asText(null);
        if ("disabled".equals(type)) {
            return;
        }
        if (!"enabled".equals(type)) {
            throw new InvalidRequest("thinking: Input tag '" + type + "' found using 'type' does not match any of the "
                    + "expected tags: 'disabled', 'enabled'");
        }
        JsonNode budget = thinking.get("budget_tokens");
        if (budget == null || !budget.isIntegralNumber()) {
            throw new InvalidRequest("thinking.enabled.budget_tokens: Field required");
        }
        if (budget.asLong() < 1024) {
            throw new InvalidRequest("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024");
        }
        if (budget.asLong() >= maxTokens) {
            throw new InvalidRequest("`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our "
                    + "documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size");
        }
    }

    private static int systemWords(JsonNode system) {
        if (system == null || system.isNull()) {
            return 0;
        }
        if (system.isTextual()) {
            return SandboxText.countWords(system.asText());
        }
        if (!system.isArray()) {
            throw new InvalidRequest("system: Input should be a valid string");
        }
        int words = 0;
        for (int i = 0; i < system.size(); i++) {
            JsonNode block = system.get(i);
            if (!"text".equals(block.path("type").asText())) {
                throw new InvalidRequest("system." + i + ".type: Input should be 'text'");
            }
            if (!block.path("text").isTextual()) {
                throw new InvalidRequest("system." + i + ".text: Field required");
            }
            words += SandboxText.countWords(block.get("text").asText());
        }
        return words;
    }

    private static List<Tool> tools(JsonNode tools) {
        if (tools == null || tools.isNull()) {
            return List.of();
        }
        if (!tools.isArray()) {
            throw new InvalidRequest("tools: Input should be a valid list");
        }
        List<Tool> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < tools.size(); i++) {
            String at = "tools." + i;
            JsonNode tool = tools.get(i);
            if (!tool.isObject()) {
                throw new InvalidRequest(at + ": Input should be a valid dictionary");
            }
            String type = tool.path("type").asText("custom");
            boolean custom = "custom".equals(type);
            if (!custom && SERVER_TOOL_PREFIXES.stream().noneMatch(type::startsWith)) {
                throw new InvalidRequest(at + ": Input tag '" + type + "' found using 'type' does not match any of "
                        + "the expected tags: 'bash_20250124', 'code_execution_20250825', 'custom', "
                        + "'text_editor_20250728', 'web_fetch_20250910', 'web_search_20250305'");
            }
            JsonNode name = tool.get("name");
            if (name == null) {
                throw new InvalidRequest(at + ".name: Field required");
            }
            if (!name.isTextual() || !SandboxText.isToolName(name.asText(), 128)) {
                throw new InvalidRequest(at + ".name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'");
            }
            if (!names.add(name.asText())) {
                throw new InvalidRequest("tools: Tool names must be unique.");
            }
            if (!custom) {
                continue;
            }
            for (Iterator<String> fields = tool.fieldNames(); fields.hasNext(); ) {
                String field = fields.next();
                if (!CUSTOM_TOOL_FIELDS.contains(field)) {
                    throw new InvalidRequest(at + "." + field + ": Extra inputs are not permitted");
                }
            }
            JsonNode schema = tool.get("input_schema");
            if (schema == null) {
                throw new InvalidRequest(at + ".input_schema: Field required");
            }
            if (!schema.isObject() || !"object".equals(schema.path("type").asText())) {
                throw new InvalidRequest(at + ".input_schema.type: Input should be 'object'");
            }
            out.add(new Tool(name.asText(), schema));
        }
        return out;
    }

    private static ToolChoice toolChoice(JsonNode choice, List<Tool> tools) {
        if (choice == null || choice.isNull()) {
            return ToolChoice.AUTO;
        }
        if (!choice.isObject()) {
            throw new InvalidRequest("tool_choice: Input should be a valid dictionary or object to extract fields from");
        }
        String type = choice.path("type").asText(null);
        if (type == null) {
            throw new InvalidRequest("tool_choice: Unable to extract tag using discriminator 'type'");
        }
        if (!"none".equals(type) && tools.isEmpty()) {
            throw new InvalidRequest("tool_choice may only be specified while providing tools.");
        }
        switch (type) {
            case "auto":
                return ToolChoice.AUTO;
            case "any":
                return ToolChoice.REQUIRED;
            case "none":
                return ToolChoice.NONE;
            case "tool": {
                JsonNode name = choice.get("name");
                if (name == null || !name.isTextual()) {
                    throw new InvalidRequest("tool_choice.tool.name: Field required");
                }
                for (Tool tool : tools) {
                    if (tool.name().equals(name.asText())) {
                        return ToolChoice.named(name.asText());
                    }
                }
                throw new InvalidRequest("tool_choice.name: Tool '" + name.asText() + "' not found in provided tools");
            }
            default:
                throw new InvalidRequest("tool_choice: Input tag '" + type + "' found using 'type' does not match any "
                        + "of the expected tags: 'auto', 'any', 'tool', 'none'");
        }
    }

    /** Validates roles, content blocks and tool pairing; returns words of all message text plus 3 per message. */
    private static int checkMessages(JsonNode messages) {
        int tokens = 0;
        Set<String> previousToolUses = Set.of();
        String previousRole = null;
        for (int i = 0; i < messages.size(); i++) {
            String at = "messages." + i;
            JsonNode message = messages.get(i);
            if (!message.isObject()) {
                throw new InvalidRequest(at + ": Input should be a valid dictionary");
            }
            JsonNode roleNode = message.get("role");
            if (roleNode == null) {
                throw new InvalidRequest(at + ".role: Field required");
            }
            String role = roleNode.asText();
            if ("system".equals(role)) {
                throw new InvalidRequest("messages: Unexpected role \"system\". The Messages API accepts a top-level "
                        + "`system` parameter, not \"system\" as an input message role.");
            }
            if (!"user".equals(role) && !"assistant".equals(role)) {
                throw new InvalidRequest(at + ".role: Input should be 'user' or 'assistant'");
            }
            if (previousRole == null && !"user".equals(role)) {
                throw new InvalidRequest("messages: roles must alternate between \"user\" and \"assistant\", and the "
                        + "first message must use the \"user\" role");
            }
            if (role.equals(previousRole)) {
                throw new InvalidRequest("messages: roles must alternate between \"user\" and \"assistant\", but found "
                        + "multiple \"" + role + "\" roles in a row");
            }
            boolean last = i == messages.size() - 1;
            Blocks blocks = checkContent(message.get("content"), role, at, last, previousToolUses);
            tokens += 3 + blocks.words;
            if ("user".equals(role)) {
                Set<String> unanswered = new LinkedHashSet<>(previousToolUses);
                unanswered.removeAll(blocks.toolResultIds);
                if (!unanswered.isEmpty()) {
                    throw new InvalidRequest("messages." + (i - 1) + ": `tool_use` ids were found without `tool_result` "
                            + "blocks immediately after: " + String.join(", ", unanswered) + ". Each `tool_use` block "
                            + "must have a corresponding `tool_result` block in the next message.");
                }
            }
            previousToolUses = blocks.toolUseIds;
            previousRole = role;
        }
        return tokens;
    }

    /** What one message's content holds. */
    private static final class Blocks {
        int words;
        final Set<String> toolUseIds = new LinkedHashSet<>();
        final Set<String> toolResultIds = new LinkedHashSet<>();
    }

    private static Blocks checkContent(JsonNode content, String role, String at, boolean last,
                                       Set<String> previousToolUses) {
        Blocks blocks = new Blocks();
        boolean finalAssistant = last && "assistant".equals(role);
        if (content == null) {
            throw new InvalidRequest(at + ".content: Field required");
        }
        String nonEmpty = at + ": all messages must have non-empty content except for the optional final assistant message";
        if (content.isTextual()) {
            if (content.asText().isEmpty() && !finalAssistant) {
                throw new InvalidRequest(nonEmpty);
            }
            checkTrailingWhitespace(content.asText(), finalAssistant);
            blocks.words = SandboxText.countWords(content.asText());
            return blocks;
        }
        if (!content.isArray()) {
            throw new InvalidRequest(at + ".content: Input should be a valid list");
        }
        if (content.isEmpty() && !finalAssistant) {
            throw new InvalidRequest(nonEmpty);
        }
        for (int j = 0; j < content.size(); j++) {
            String blockAt = at + ".content." + j;
            JsonNode block = content.get(j);
            if (!block.isObject()) {
                throw new InvalidRequest(blockAt + ": Input should be a valid dictionary");
            }
            String type = block.path("type").asText(null);
            if (type == null) {
                throw new InvalidRequest(blockAt + ": Unable to extract tag using discriminator 'type'");
            }
            if (!BLOCK_TYPES.contains(type)) {
                throw new InvalidRequest(blockAt + ": Input tag '" + type + "' found using 'type' does not match any "
                        + "of the expected tags: " + BLOCK_TAGS);
            }
            switch (type) {
                case "text": {
                    JsonNode text = block.get("text");
                    if (text == null || !text.isTextual()) {
                        throw new InvalidRequest(blockAt + ".text: Field required");
                    }
                    if (text.asText().isEmpty()) {
                        throw new InvalidRequest("messages: text content blocks must be non-empty");
                    }
                    if (j == content.size() - 1) {
                        checkTrailingWhitespace(text.asText(), finalAssistant);
                    }
                    blocks.words += SandboxText.countWords(text.asText());
                    break;
                }
                case "image":
                case "document":
                    if (!block.path("source").isObject()) {
                        throw new InvalidRequest(blockAt + "." + type + ".source: Field required");
                    }
                    break;
                case "tool_use": {
                    if (!"assistant".equals(role)) {
                        throw new InvalidRequest(blockAt + ": `tool_use` blocks can only be in `assistant` messages");
                    }
                    for (String field : List.of("id", "name")) {
                        if (!block.path(field).isTextual()) {
                            throw new InvalidRequest(blockAt + ".tool_use." + field + ": Field required");
                        }
                    }
                    if (!block.path("input").isObject()) {
                        throw new InvalidRequest(blockAt + ".tool_use.input: Input should be a valid dictionary");
                    }
                    blocks.toolUseIds.add(block.get("id").asText());
                    break;
                }
                case "tool_result": {
                    if (!"user".equals(role)) {
                        throw new InvalidRequest(blockAt + ": `tool_result` blocks can only be in `user` messages");
                    }
                    if (!block.path("tool_use_id").isTextual()) {
                        throw new InvalidRequest(blockAt + ".tool_result.tool_use_id: Field required");
                    }
                    JsonNode result = block.get("content");
                    if (result != null && !result.isNull() && !result.isTextual() && !result.isArray()) {
                        throw new InvalidRequest(blockAt + ".tool_result.content: Input should be a valid list");
                    }
                    String id = block.get("tool_use_id").asText();
                    if (!previousToolUses.contains(id)) {
                        throw new InvalidRequest(blockAt + ": unexpected `tool_use_id` found in `tool_result` blocks: "
                                + id + ". Each `tool_result` block must have a corresponding `tool_use` block in the "
                                + "previous message.");
                    }
                    blocks.toolResultIds.add(id);
                    blocks.words += SandboxText.countWords(toolResultContent(result));
                    break;
                }
                default:
                    break;
            }
        }
        return blocks;
    }

    private static void checkTrailingWhitespace(String text, boolean finalAssistant) {
        if (finalAssistant && !text.isEmpty() && Character.isWhitespace(text.charAt(text.length() - 1))) {
            throw new InvalidRequest("messages: final assistant content cannot end with trailing whitespace");
        }
    }

    private static boolean hasBlock(JsonNode message, String type) {
        for (JsonNode block : message.path("content")) {
            if (type.equals(block.path("type").asText())) {
                return true;
            }
        }
        return false;
    }

    /** Text of the last user message's string content or text blocks; tolerant, since it runs before validation. */
    private static String lastUserText(JsonNode messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            JsonNode message = messages.get(i);
            if ("user".equals(message.path("role").asText())) {
                JsonNode content = message.path("content");
                if (content.isTextual()) {
                    return content.asText();
                }
                StringBuilder out = new StringBuilder();
                for (JsonNode block : content) {
                    if ("text".equals(block.path("type").asText()) && block.path("text").isTextual()) {
                        if (out.length() > 0) {
                            out.append(' ');
                        }
                        out.append(block.get("text").asText());
                    }
                }
                return out.toString();
            }
        }
        return "";
    }

    /** The tool_result contents of a user message, joined by newlines. */
    private static String toolResultText(JsonNode message) {
        StringBuilder out = new StringBuilder();
        for (JsonNode block : message.path("content")) {
            if ("tool_result".equals(block.path("type").asText())) {
                if (out.length() > 0) {
                    out.append('\n');
                }
                out.append(toolResultContent(block.get("content")));
            }
        }
        return out.toString();
    }

    private static String toolResultContent(JsonNode content) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder out = new StringBuilder();
        for (JsonNode block : content) {
            if ("text".equals(block.path("type").asText())) {
                if (out.length() > 0) {
                    out.append(' ');
                }
                out.append(block.path("text").asText());
            }
        }
        return out.toString();
    }

    // ---- success body ------------------------------------------------------------------------------

    private static String stopReason(Finish finish) {
        switch (finish) {
            case LENGTH:
                return "max_tokens";
            case STOP_SEQUENCE:
                return "stop_sequence";
            case TOOL_CALL:
                return "tool_use";
            default:
                return "end_turn";
        }
    }

    private static String messageId(Call call) {
        return "msg_01" + call.hash.alnum("msg", 22);
    }

    private static String toolUseId(Call call) {
        return "toolu_01" + call.hash.alnum("toolu", 22);
    }

    private SandboxResponse message(Call call, Conversation conversation, SandboxReply reply) {
        ObjectNode body = SandboxJson.object();
        body.put("id", messageId(call));
        body.put("type", "message");
        body.put("role", "assistant");
        body.put("model", conversation.model());
        if (reply.isToolCall()) {
            body.putArray("content").addObject().put("type", "text").put("text", "Let me check.");
            ObjectNode toolUse = body.withArray("content").addObject();
            toolUse.put("type", "tool_use");
            toolUse.put("id", toolUseId(call));
            toolUse.put("name", reply.toolCall().name());
            toolUse.set("input", reply.toolCall().arguments());
        } else {
            body.putArray("content").addObject().put("type", "text").put("text", reply.text());
        }
        body.put("stop_reason", stopReason(reply.finish()));
        body.put("stop_sequence", reply.stopSequence());
        body.set("usage", usage(call, reply.outputTokens()));
        return SandboxResponse.json(200, SandboxJson.write(body));
    }

    /** input_tokens excludes cache reads and writes; they are reported beside it. */
    private static ObjectNode usage(Call call, int outputTokens) {
        ObjectNode usage = SandboxJson.object();
        usage.put("input_tokens", call.inputTokens);
        usage.put("cache_creation_input_tokens", call.directives.cacheWrite());
        usage.put("cache_read_input_tokens", call.directives.cached());
        ObjectNode creation = usage.putObject("cache_creation");
        creation.put("ephemeral_5m_input_tokens", call.directives.cacheWrite());
        creation.put("ephemeral_1h_input_tokens", 0);
        usage.put("output_tokens", outputTokens);
        usage.put("service_tier", "standard");
        return usage;
    }

    // ---- stream ------------------------------------------------------------------------------------

    private SandboxResponse stream(Call call, Conversation conversation, SandboxReply reply) {
        List<String> frames = new ArrayList<>();
        ObjectNode start = SandboxJson.object().put("type", "message_start");
        ObjectNode message = start.putObject("message");
        message.put("id", messageId(call));
        message.put("type", "message");
        message.put("role", "assistant");
        message.put("model", conversation.model());
        message.putArray("content");
        message.putNull("stop_reason");
        message.putNull("stop_sequence");
        message.set("usage", usage(call, 1));
        frames.add(SseFrames.event("message_start", start));

        String text = reply.isToolCall() ? "Let me check." : reply.text();
        frames.add(SseFrames.event("content_block_start", blockStart(0,
                SandboxJson.object().put("type", "text").put("text", ""))));
        frames.add(SseFrames.event("ping", SandboxJson.object().put("type", "ping")));
        for (String word : SandboxText.wordDeltas(text)) {
            frames.add(SseFrames.event("content_block_delta", blockDelta(0,
                    SandboxJson.object().put("type", "text_delta").put("text", word))));
        }
        frames.add(SseFrames.event("content_block_stop", SandboxJson.object().put("type", "content_block_stop").put("index", 0)));
        if (reply.isToolCall()) {
            ObjectNode toolUse = SandboxJson.object().put("type", "tool_use").put("id", toolUseId(call))
                    .put("name", reply.toolCall().name());
            toolUse.putObject("input");
            frames.add(SseFrames.event("content_block_start", blockStart(1, toolUse)));
            List<String> fragments = new ArrayList<>();
            fragments.add("");
            fragments.addAll(SandboxText.pieces(reply.toolCall().argumentsJson(), 2));
            for (String fragment : fragments) {
                frames.add(SseFrames.event("content_block_delta", blockDelta(1,
                        SandboxJson.object().put("type", "input_json_delta").put("partial_json", fragment))));
            }
            frames.add(SseFrames.event("content_block_stop", SandboxJson.object().put("type", "content_block_stop").put("index", 1)));
        }

        ObjectNode delta = SandboxJson.object().put("type", "message_delta");
        delta.putObject("delta").put("stop_reason", stopReason(reply.finish())).put("stop_sequence", reply.stopSequence());
        // cumulative, and repeating input/cache counts as newer API versions do
        delta.putObject("usage")
                .put("input_tokens", call.inputTokens)
                .put("cache_creation_input_tokens", call.directives.cacheWrite())
                .put("cache_read_input_tokens", call.directives.cached())
                .put("output_tokens", reply.outputTokens());
        frames.add(SseFrames.event("message_delta", delta));
        frames.add(SseFrames.event("message_stop", SandboxJson.object().put("type", "message_stop")));

        int errorAfter = call.directives.errorAfter();
        if (errorAfter >= 0 && errorAfter < frames.size()) {
            frames = new ArrayList<>(frames.subList(0, errorAfter));
            ObjectNode error = SandboxJson.object().put("type", "error");
            error.putObject("error").put("type", "overloaded_error").put("message", "Overloaded");
            frames.add(SseFrames.event("error", error));
        }
        return SandboxResponse.stream(frames, call.directives.chunkDelayMs(), call.directives.failAfter());
    }

    private static ObjectNode blockStart(int index, ObjectNode block) {
        ObjectNode event = SandboxJson.object().put("type", "content_block_start").put("index", index);
        event.set("content_block", block);
        return event;
    }

    private static ObjectNode blockDelta(int index, ObjectNode delta) {
        ObjectNode event = SandboxJson.object().put("type", "content_block_delta").put("index", index);
        event.set("delta", delta);
        return event;
    }

    // ---- headers and errors ------------------------------------------------------------------------

    private static SandboxResponse headers(SandboxResponse response, Call call) {
        return response
                .header("request-id", call.requestId())
                .header("anthropic-organization-id", ORGANIZATION_ID)
                .timed(call.directives, call.defaultLatencyMs);
    }

    /** Limits from a real capture; "remaining" tokens are rounded to the nearest thousand, resets are RFC 3339. */
    private static SandboxResponse rateLimitHeaders(SandboxResponse response, Call call, boolean exhausted) {
        String reset = Instant.now().plusSeconds(exhausted ? call.directives.retryAfterSeconds() : 1)
                .truncatedTo(ChronoUnit.SECONDS).toString();
        long inputRemaining = exhausted ? 0 : roundThousand(INPUT_TOKENS_LIMIT - call.inputTokens);
        long outputRemaining = exhausted ? 0 : OUTPUT_TOKENS_LIMIT;
        limit(response, "requests", REQUESTS_LIMIT, exhausted ? 0 : REQUESTS_LIMIT - 1, reset);
        limit(response, "tokens", INPUT_TOKENS_LIMIT + OUTPUT_TOKENS_LIMIT, inputRemaining + outputRemaining, reset);
        limit(response, "input-tokens", INPUT_TOKENS_LIMIT, inputRemaining, reset);
        limit(response, "output-tokens", OUTPUT_TOKENS_LIMIT, outputRemaining, reset);
        return response;
    }

    private static void limit(SandboxResponse response, String kind, long limit, long remaining, String reset) {
        response.header("anthropic-ratelimit-" + kind + "-limit", limit)
                .header("anthropic-ratelimit-" + kind + "-remaining", remaining)
                .header("anthropic-ratelimit-" + kind + "-reset", reset);
    }

    private static long roundThousand(long value) {
        return Math.max(0, Math.round(value / 1000.0) * 1000);
    }

    private static SandboxResponse error(Call call, int status, String type, String message) {
        ObjectNode body = SandboxJson.object().put("type", "error");
        body.putObject("error").put("type", type).put("message", message);
        body.put("request_id", call.requestId());
        boolean retry = status == 408 || status == 409 || status == 429 || status >= 500;
        return headers(SandboxResponse.json(status, SandboxJson.write(body)), call)
                .header("x-should-retry", Boolean.toString(retry));
    }

    /** The error a {@code [sandbox:status=N]} directive asks for, with the body and headers Anthropic sends. */
    private static SandboxResponse directedError(Call call, Conversation conversation) {
        int status = call.directives.status();
        switch (status) {
            case 401:
                return error(call, status, "authentication_error", "invalid x-api-key");
            case 402:
                return error(call, status, "billing_error", "Your credit balance is too low to access the Anthropic "
                        + "API. Please go to Plans & Billing to upgrade or purchase credits.");
            case 403:
                return error(call, status, "permission_error",
                        "Your API key does not have permission to use the specified resource.");
            case 404:
                return error(call, status, "not_found_error", "model: " + conversation.model());
            case 413:
                return error(call, status, "request_too_large", "Request exceeds the maximum allowed number of bytes.");
            case 429:
                return rateLimitHeaders(error(call, status, "rate_limit_error", "This request would exceed the rate "
                                + "limit for your organization (sandbox) of " + String.format(Locale.ROOT, "%,d", INPUT_TOKENS_LIMIT)
                                + " input tokens per minute. For details, refer to: "
                                + "https://docs.claude.com/en/api/rate-limits. You can see the response headers for "
                                + "current usage. Please reduce the prompt length or the maximum tokens requested, "
                                + "or try again later.")
                        .header("retry-after", call.directives.retryAfterSeconds()), call, true);
            case 500:
                return error(call, status, "api_error", "Internal server error");
            case 504:
                return error(call, status, "timeout_error", "Request timeout");
            case 529:
                return error(call, status, "overloaded_error", "Overloaded");
            default:
                return error(call, status, status >= 500 ? "api_error" : "invalid_request_error",
                        "Sandbox directive requested HTTP " + status + ".");
        }
    }
}
