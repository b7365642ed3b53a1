package ai.infrastack.gateway.provider.cohere;

import ai.infrastack.gateway.core.Completion;
import ai.infrastack.gateway.provider.OpenAiRequestParts;
import ai.infrastack.gateway.provider.ProviderQuirks;
import ai.infrastack.gateway.provider.UpstreamErrors;
import ai.infrastack.gateway.provider.WireTranslator;
import ai.infrastack.gateway.core.ErrorType;
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
 * Cohere's Chat API v2: OpenAI-like messages and tools, but {@code p}/{@code k} for top_p/top_k,
 * {@code stop_sequences}, a {@code tool_choice} of only REQUIRED or NONE, no model in the response,
 * and usage billed on {@code billed_units}.
 */
public final class CohereWireTranslator implements WireTranslator {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final Set<String> MAPPED = Set.of("model", "messages", "max_tokens", "max_completion_tokens",
            "temperature", "top_p", "top_k", "stop", "frequency_penalty", "presence_penalty", "seed", "stream",
            "response_format", "tools", "tool_choice", "routing", "budget", "response");

    @Override
    public String format() {
        return "cohere";
    }

    @Override
    public String chatPath(ModelSpec model) {
        return "/v2/chat";
    }

    @Override
    public Map<String, String> headers(String apiKey) {
        return Map.of("Authorization", "Bearer " + apiKey);
    }

    @Override
    public ObjectNode toUpstream(ObjectNode request, ModelSpec model, ProviderQuirks quirks, List<String> dropped) {
        ObjectNode out = JSON.objectNode();
        out.put("model", model.upstream());
        out.set("messages", messages(request.path("messages")));
        copy(request, "temperature", out, "temperature");
        copy(request, "frequency_penalty", out, "frequency_penalty");
        copy(request, "presence_penalty", out, "presence_penalty");
        copy(request, "seed", out, "seed");
        copy(request, "top_k", out, "k");
        if (request.hasNonNull("top_p")) {
            // Cohere's p must lie strictly inside (0, 1).
            out.put("p", Math.min(0.99, Math.max(0.01, request.get("top_p").asDouble())));
        }
        JsonNode max = request.hasNonNull("max_tokens") ? request.get("max_tokens") : request.get("max_completion_tokens");
        if (max != null && !max.isNull()) {
            out.set("max_tokens", max);
        }
        ArrayNode stop = OpenAiRequestParts.stopSequences(request.get("stop"));
        if (stop != null) {
            out.set("stop_sequences", stop);
        }
        String format = request.path("response_format").path("type").asText("");
        if (format.equals("json_object") || format.equals("json_schema")) {
            // Cohere's JSON mode takes the schema beside the type
            ObjectNode responseFormat = out.putObject("response_format").put("type", "json_object");
            JsonNode schema = request.path("response_format").path("json_schema").path("schema");
            if (format.equals("json_schema") && schema.isObject()) {
                responseFormat.set("json_schema", schema);
            }
        }
        mapTools(request, out);
        OpenAiRequestParts.nameUnmapped(request, MAPPED, dropped);
        return out;
    }

    private static ArrayNode messages(JsonNode messages) {
        ArrayNode out = JSON.arrayNode();
        for (JsonNode m : messages) {
            String role = m.path("role").asText();
            ObjectNode msg = out.addObject();
            switch (role) {
                case "system", "developer" -> {
                    msg.put("role", "system");
                    msg.put("content", OpenAiRequestParts.text(m.get("content")));
                }
                case "tool" -> {
                    msg.put("role", "tool");
                    msg.put("tool_call_id", m.path("tool_call_id").asText());
                    msg.put("content", OpenAiRequestParts.text(m.get("content")));
                }
                case "assistant" -> {
                    msg.put("role", "assistant");
                    JsonNode calls = m.get("tool_calls");
                    String content = OpenAiRequestParts.text(m.get("content"));
                    if (calls != null && calls.isArray() && !calls.isEmpty()) {
                        ArrayNode mapped = msg.putArray("tool_calls");
                        for (JsonNode c : calls) {
                            ObjectNode call = mapped.addObject();
                            call.put("id", c.path("id").asText());
                            call.put("type", "function");
                            ObjectNode fn = call.putObject("function");
                            fn.put("name", c.path("function").path("name").asText());
                            fn.put("arguments", c.path("function").path("arguments").asText("{}"));
                        }
                        if (!content.isEmpty()) {
                            msg.put("tool_plan", content);
                        }
                    } else {
                        msg.put("content", content);
                    }
                }
                default -> {
                    msg.put("role", "user");
                    msg.set("content", userContent(m.get("content")));
                }
            }
        }
        return out;
    }

    private static JsonNode userContent(JsonNode content) {
        if (content == null || content.isNull() || content.isTextual()) {
            return JSON.textNode(content == null || content.isNull() ? "" : content.asText());
        }
        ArrayNode parts = JSON.arrayNode();
        for (JsonNode part : content) {
            if ("text".equals(part.path("type").asText())) {
                parts.addObject().put("type", "text").put("text", part.path("text").asText());
            } else if ("image_url".equals(part.path("type").asText())) {
                JsonNode image = part.get("image_url");
                parts.addObject().put("type", "image_url").putObject("image_url")
                        .put("url", image.isTextual() ? image.asText() : image.path("url").asText());
            }
        }
        return parts;
    }

    private static void mapTools(ObjectNode request, ObjectNode out) {
        JsonNode tools = request.get("tools");
        if (tools == null || tools.isNull() || tools.isEmpty()) {
            return;
        }
        JsonNode choice = request.get("tool_choice");
        ArrayNode mapped = out.putArray("tools");
        String forced = choice != null && choice.isObject() ? choice.path("function").path("name").asText() : null;
        for (JsonNode t : tools) {
            // Cohere cannot force one named function; offering only that one, with REQUIRED, does.
            if (forced == null || forced.equals(t.path("function").path("name").asText())) {
                mapped.add(t);
            }
        }
        if (forced != null) {
            out.put("tool_choice", "REQUIRED");
        } else if (choice != null && choice.isTextual() && !choice.asText().equals("auto")) {
            out.put("tool_choice", choice.asText().equals("none") ? "NONE" : "REQUIRED");
        }
    }

    private static void copy(ObjectNode from, String field, ObjectNode to, String target) {
        JsonNode v = from.get(field);
        if (v != null && !v.isNull()) {
            to.set(target, v);
        }
    }

    @Override
    public Completion fromUpstream(JsonNode response, ModelSpec model) {
        String finishNative = response.path("finish_reason").asText("COMPLETE");
        if (finishNative.equals("ERROR") || finishNative.equals("TIMEOUT")) {
            throw GatewayException.of(ErrorType.PROVIDER, "Cohere ended the generation with " + finishNative)
                    .status(502).provider("cohere").code("upstream_" + finishNative.toLowerCase()).build();
        }
        JsonNode msg = response.path("message");
        StringBuilder text = new StringBuilder();
        for (JsonNode part : msg.path("content")) {
            if ("text".equals(part.path("type").asText())) {
                text.append(part.path("text").asText());
            }
        }
        ArrayNode calls = JSON.arrayNode();
        for (JsonNode c : msg.path("tool_calls")) {
            ObjectNode call = calls.addObject();
            call.put("id", c.path("id").asText());
            call.put("type", "function");
            ObjectNode fn = call.putObject("function");
            fn.put("name", c.path("function").path("name").asText());
            fn.put("arguments", c.path("function").path("arguments").asText("{}"));
        }
        if (text.length() == 0 && msg.hasNonNull("tool_plan")) {
            // The plan Cohere states before calling tools plays the part of Anthropic's preamble.
            text.append(msg.get("tool_plan").asText());
        }
        ObjectNode message = JSON.objectNode();
        message.put("role", "assistant");
        message.put("content", text.length() == 0 && !calls.isEmpty() ? null : text.toString());
        if (!calls.isEmpty()) {
            message.set("tool_calls", calls);
        }
        message.putNull("refusal");
        ObjectNode choice = JSON.objectNode();
        choice.put("index", 0);
        choice.set("message", message);
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(finishNative));
        return Completion.unary(response.path("id").asText(), System.currentTimeMillis() / 1000,
                JSON.arrayNode().add(choice), usage(response.path("usage")), model.upstream());
    }

    static String finishReason(String native_) {
        return switch (native_) {
            case "MAX_TOKENS" -> "length";
            case "TOOL_CALL" -> "tool_calls";
            default -> "stop"; // COMPLETE, STOP_SEQUENCE
        };
    }

    /** Billing follows billed_units; tokens.* also counts Cohere's prompt template. */
    static Usage usage(JsonNode u) {
        JsonNode billed = u.path("billed_units");
        long input = billed.path("input_tokens").asLong(u.path("tokens").path("input_tokens").asLong(0));
        long cached = u.path("cached_tokens").asLong(0);
        long output = billed.path("output_tokens").asLong(u.path("tokens").path("output_tokens").asLong(0));
        return new Usage(Math.max(0, input - cached), Math.min(cached, input), 0, output, 0, false);
    }

    @Override
    public GatewayException toError(int status, JsonNode body, Map<String, String> headers, String provider) {
        String message = body.path("message").asText(null);
        // 498: Cohere refuses the token itself; 499: the request was cancelled upstream.
        int meaning = status == 498 ? 401 : status == 499 ? 502 : status;
        return UpstreamErrors.map(meaning, status, message, null, provider, headers);
    }

    // ---- streaming ----------------------------------------------------------------------------------

    /** {@link #toUpstream} with {@code stream: true} (Cohere streams on a body flag, like its SDK). */
    @Override
    public ObjectNode toUpstreamStream(ObjectNode request, ModelSpec model, ProviderQuirks quirks, List<String> dropped) {
        ObjectNode out = toUpstream(request, model, quirks, dropped);
        dropped.remove("stream_options");
        out.put("stream", true);
        return out;
    }

    @Override
    public StreamDecoder streamDecoder(ModelSpec model) {
        return new CohereStreamDecoder(model.provider(), CohereWireTranslator::usage, CohereWireTranslator::finishReason);
    }
}
