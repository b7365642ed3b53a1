package ai.infrastack.gateway.provider.anthropic;

import ai.infrastack.gateway.core.Completion;
import ai.infrastack.gateway.provider.OpenAiRequestParts;
import ai.infrastack.gateway.provider.ParamChanges;
import ai.infrastack.gateway.provider.ProviderQuirks;
import ai.infrastack.gateway.provider.UpstreamErrors;
import ai.infrastack.gateway.provider.WireTranslator;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.Usage;
import ai.infrastack.gateway.streaming.StreamDecoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Anthropic's Messages API: system lifted out of the messages, {@code max_tokens} always sent,
 * consecutive same-role turns merged, tool calls and results mapped to {@code tool_use} /
 * {@code tool_result} blocks, and usage normalised (Anthropic's input_tokens exclude cache reads
 * and writes; the canonical buckets say so explicitly).
 */
public final class AnthropicWireTranslator implements WireTranslator {
    static final String API_VERSION = "2023-06-01";
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    /** OpenAI parameters this translator maps; any other field is dropped and named. */
    private static final Set<String> MAPPED = Set.of("model", "messages", "max_tokens", "max_completion_tokens",
            "temperature", "top_p", "stop", "stream", "tools", "tool_choice", "parallel_tool_calls", "user",
            "response_format", "routing", "budget", "response");

    @Override
    public String format() {
        return "anthropic";
    }

    @Override
    public String chatPath(ModelSpec model) {
        return "/v1/messages";
    }

    @Override
    public Map<String, String> headers(String apiKey) {
        return Map.of("x-api-key", apiKey, "anthropic-version", API_VERSION);
    }

    @Override
    public ObjectNode toUpstream(ObjectNode request, ModelSpec model, ProviderQuirks quirks, List<String> dropped) {
        ObjectNode out = JSON.objectNode();
        out.put("model", model.upstream());
        JsonNode max = request.hasNonNull("max_tokens") ? request.get("max_tokens") : request.get("max_completion_tokens");
        // Anthropic requires max_tokens; the catalog supplies the model's default.
        out.put("max_tokens", max != null && !max.isNull() ? max.asLong() : model.defaultMaxTokens());
        mapMessages(request.path("messages"), out);
        if (request.hasNonNull("temperature")) {
            // Anthropic's range is 0..1: values above it (valid for OpenAI) are clamped to 1, and said so.
            double temperature = request.get("temperature").asDouble();
            if (temperature > 1.0) {
                ParamChanges.adjusted(dropped, "temperature");
            }
            out.put("temperature", Math.min(1.0, temperature));
        }
        if (request.hasNonNull("top_p")) {
            if (request.hasNonNull("temperature")) {
                // Current Claude models refuse temperature and top_p together.
                dropped.add("top_p");
            } else {
                out.set("top_p", request.get("top_p"));
            }
        }
        ArrayNode stop = OpenAiRequestParts.stopSequences(request.get("stop"));
        if (stop != null) {
            out.set("stop_sequences", stop);
        }
        mapTools(request, out, dropped);
        mapResponseFormat(request.path("response_format"), out, dropped);
        if (request.hasNonNull("user")) {
            out.putObject("metadata").put("user_id", request.get("user").asText());
        }
        OpenAiRequestParts.nameUnmapped(request, MAPPED, dropped);
        return out;
    }

    private static void mapMessages(JsonNode messages, ObjectNode out) {
        StringBuilder system = new StringBuilder();
        ArrayNode turns = JSON.arrayNode();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String role = m.path("role").asText();
            switch (role) {
                case "system", "developer" -> {
                    if (system.length() > 0) {
                        system.append("\n\n");
                    }
                    system.append(OpenAiRequestParts.text(m.get("content")));
                }
                case "user" -> OpenAiRequestParts.appendTurn(turns, "user", "content", contentBlocks(m.get("content")));
                case "assistant" -> OpenAiRequestParts.appendTurn(turns, "assistant", "content", assistantBlocks(m, i));
                case "tool" -> {
                    ObjectNode result = JSON.objectNode();
                    result.put("type", "tool_result");
                    result.put("tool_use_id", m.path("tool_call_id").asText());
                    result.put("content", OpenAiRequestParts.text(m.get("content")));
                    OpenAiRequestParts.appendTurn(turns, "user", "content", JSON.arrayNode().add(result));
                }
                default -> throw GatewayException.invalid("messages[" + i + "].role", "Unsupported role '" + role + "'");
            }
        }
        if (system.length() > 0) {
            out.put("system", system.toString());
        }
        trimPrefill(turns);
        out.set("messages", turns);
    }

    /**
     * A final assistant turn is a prefill the model continues; Anthropic refuses one that ends in
     * whitespace, which OpenAI accepts, so the trailing whitespace is trimmed.
     */
    private static void trimPrefill(ArrayNode turns) {
        if (turns.isEmpty() || !"assistant".equals(turns.get(turns.size() - 1).path("role").asText())) {
            return;
        }
        JsonNode blocks = turns.get(turns.size() - 1).path("content");
        JsonNode last = blocks.get(blocks.size() - 1);
        if (last != null && "text".equals(last.path("type").asText())) {
            ((ObjectNode) last).put("text", last.path("text").asText().stripTrailing());
        }
    }

    private static ArrayNode contentBlocks(JsonNode content) {
        ArrayNode blocks = JSON.arrayNode();
        if (content == null || content.isNull()) {
            return blocks;
        }
        if (content.isTextual()) {
            if (!content.asText().isEmpty()) {
                blocks.addObject().put("type", "text").put("text", content.asText());
            }
            return blocks;
        }
        for (JsonNode part : content) {
            if ("text".equals(part.path("type").asText())) {
                // Anthropic refuses empty text blocks ("text content blocks must be non-empty"); OpenAI accepts them.
                if (!part.path("text").asText().isEmpty()) {
                    blocks.addObject().put("type", "text").put("text", part.path("text").asText());
                }
            } else if ("image_url".equals(part.path("type").asText())) {
                blocks.add(image(part.get("image_url")));
            }
        }
        return blocks;
    }

    /** A data URL becomes a base64 source, anything else a URL source. */
    static ObjectNode image(JsonNode imageUrl) {
        String url = OpenAiRequestParts.imageUrl(imageUrl);
        ObjectNode block = JSON.objectNode();
        block.put("type", "image");
        ObjectNode source = block.putObject("source");
        OpenAiRequestParts.DataUrl data = OpenAiRequestParts.dataUrl(url);
        if (data != null) {
            source.put("type", "base64");
            source.put("media_type", data.mediaType());
            source.put("data", data.data());
        } else {
            source.put("type", "url");
            source.put("url", url);
        }
        return block;
    }

    private static ArrayNode assistantBlocks(JsonNode m, int index) {
        ArrayNode blocks = contentBlocks(m.get("content"));
        JsonNode calls = m.path("tool_calls");
        for (int c = 0; c < calls.size(); c++) {
            JsonNode call = calls.get(c);
            ObjectNode use = blocks.addObject();
            use.put("type", "tool_use");
            use.put("id", call.path("id").asText());
            use.put("name", call.path("function").path("name").asText());
            use.set("input", OpenAiRequestParts.toolArguments(call, index, c));
        }
        return blocks;
    }

    /**
     * A JSON schema becomes Anthropic's structured output ({@code output_config.format}); plain JSON mode has no
     * Anthropic equivalent (its structured outputs need a schema), so it is named as dropped.
     */
    private static void mapResponseFormat(JsonNode format, ObjectNode out, List<String> dropped) {
        String type = format.path("type").asText("text");
        JsonNode schema = format.path("json_schema").path("schema");
        if ("json_schema".equals(type) && schema.isObject()) {
            ObjectNode outputFormat = out.putObject("output_config").putObject("format");
            outputFormat.put("type", "json_schema");
            outputFormat.set("schema", schema);
        } else if (!"text".equals(type)) {
            dropped.add("response_format");
        }
    }

    private static void mapTools(ObjectNode request, ObjectNode out, List<String> dropped) {
        JsonNode tools = request.get("tools");
        if (tools == null || tools.isNull() || tools.isEmpty()) {
            if (request.hasNonNull("tool_choice")) {
                // Anthropic has no tool_choice without tools.
                dropped.add("tool_choice");
            }
            return;
        }
        ArrayNode mapped = out.putArray("tools");
        for (JsonNode t : tools) {
            JsonNode f = t.path("function");
            ObjectNode tool = mapped.addObject();
            tool.put("name", f.path("name").asText());
            if (f.hasNonNull("description")) {
                tool.put("description", f.get("description").asText());
            }
            // Anthropic requires input_schema.type "object"; OpenAI also accepts no parameters or {} for a tool without arguments.
            JsonNode parameters = f.get("parameters");
            ObjectNode schema = parameters != null && parameters.isObject() ? ((ObjectNode) parameters).deepCopy() : JSON.objectNode();
            if (!schema.has("type")) {
                schema.put("type", "object");
            }
            if (!schema.has("properties")) {
                schema.putObject("properties");
            }
            tool.set("input_schema", schema);
        }
        JsonNode choice = request.get("tool_choice");
        ObjectNode tc = null;
        if (choice != null && choice.isTextual()) {
            tc = JSON.objectNode().put("type", switch (choice.asText()) {
                case "required" -> "any";
                case "none" -> "none";
                default -> "auto";
            });
        } else if (choice != null && choice.isObject()) {
            tc = JSON.objectNode().put("type", "tool").put("name", choice.path("function").path("name").asText());
        }
        if (request.path("parallel_tool_calls").isBoolean() && !request.get("parallel_tool_calls").asBoolean()) {
            if (tc == null) {
                tc = JSON.objectNode().put("type", "auto");
            }
            if (!"none".equals(tc.path("type").asText())) {
                tc.put("disable_parallel_tool_use", true);
            }
        }
        if (tc != null) {
            out.set("tool_choice", tc);
        }
    }

    @Override
    public Completion fromUpstream(JsonNode response, ModelSpec model) {
        StringBuilder text = new StringBuilder();
        ArrayNode toolCalls = JSON.arrayNode();
        for (JsonNode block : response.path("content")) {
            switch (block.path("type").asText()) {
                case "text" -> text.append(block.path("text").asText());
                case "tool_use" -> {
                    ObjectNode call = toolCalls.addObject();
                    call.put("id", block.path("id").asText());
                    call.put("type", "function");
                    ObjectNode fn = call.putObject("function");
                    fn.put("name", block.path("name").asText());
                    fn.put("arguments", block.path("input").isMissingNode() ? "{}" : block.get("input").toString());
                }
                default -> { } // thinking and server-tool blocks have no OpenAI equivalent
            }
        }
        ObjectNode message = JSON.objectNode();
        message.put("role", "assistant");
        if (text.length() == 0 && !toolCalls.isEmpty()) {
            message.putNull("content");
        } else {
            message.put("content", text.toString());
        }
        if (!toolCalls.isEmpty()) {
            message.set("tool_calls", toolCalls);
        }
        message.putNull("refusal");
        ObjectNode choice = JSON.objectNode();
        choice.put("index", 0);
        choice.set("message", message);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(response.path("stop_reason").asText("end_turn")));
        return Completion.unary(response.path("id").asText(), System.currentTimeMillis() / 1000,
                JSON.arrayNode().add(choice), usage(response.path("usage")), response.path("model").asText(model.upstream()));
    }

    /** Anthropic's input_tokens exclude cache reads and writes: each goes to its own bucket. */
    static Usage usage(JsonNode u) {
        return new Usage(u.path("input_tokens").asLong(0), u.path("cache_read_input_tokens").asLong(0),
                u.path("cache_creation_input_tokens").asLong(0), u.path("output_tokens").asLong(0),
                u.path("output_tokens_details").path("thinking_tokens").asLong(0), false);
    }

    static String finishReason(String stopReason) {
        return switch (stopReason) {
            case "max_tokens", "model_context_window_exceeded" -> "length";
            case "tool_use" -> "tool_calls";
            case "refusal" -> "content_filter";
            default -> "stop"; // end_turn, stop_sequence, pause_turn
        };
    }

    @Override
    public GatewayException toError(int status, JsonNode body, Map<String, String> headers, String provider) {
        JsonNode err = body.path("error");
        String message = err.path("message").asText(null);
        String code = err.hasNonNull("type") ? err.get("type").asText() : null;
        return UpstreamErrors.map(status, message, code, provider, headers);
    }

    // ---- streaming ----------------------------------------------------------------------------------

    /** {@link #toUpstream} with {@code stream: true}; the client's stream_options is the gateway's business. */
    @Override
    public ObjectNode toUpstreamStream(ObjectNode request, ModelSpec model, ProviderQuirks quirks, List<String> dropped) {
        ObjectNode out = toUpstream(request, model, quirks, dropped);
        dropped.remove("stream_options");
        out.put("stream", true);
        return out;
    }

    @Override
    public StreamDecoder streamDecoder(ModelSpec model) {
        String provider = model.provider();
        return new AnthropicStreamDecoder(provider, AnthropicWireTranslator::usage, AnthropicWireTranslator::finishReason,
                (status, body) -> toError(status, body, Map.of(), provider));
    }
}
