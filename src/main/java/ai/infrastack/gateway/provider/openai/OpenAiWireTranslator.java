package ai.infrastack.gateway.provider.openai;

import ai.infrastack.gateway.core.Completion;
import ai.infrastack.gateway.provider.ProviderQuirks;
import ai.infrastack.gateway.provider.ToolCallIds;
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

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * OpenAI's Chat Completions format, also spoken by Mistral, Together, Groq, Ollama, vLLM and other
 * OpenAI-compatible hosts: the request passes through minus the gateway's own extensions, with the
 * model's catalog quirks applied (e.g. {@code max_completion_tokens} for o-series and gpt-5).
 */
public final class OpenAiWireTranslator implements WireTranslator {
    /** Fields of the spec's UnifiedRequest that belong to the gateway, never sent upstream. */
    private static final Set<String> GATEWAY_FIELDS = Set.of("routing", "budget", "response");
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    @Override
    public String format() {
        return "openai";
    }

    @Override
    public String chatPath(ModelSpec model) {
        return "/chat/completions";
    }

    @Override
    public Map<String, String> headers(String apiKey) {
        return Map.of("Authorization", "Bearer " + apiKey);
    }

    @Override
    public ObjectNode toUpstream(ObjectNode request, ModelSpec model, ProviderQuirks quirks, List<String> dropped) {
        ObjectNode out = JSON.objectNode();
        Iterator<Map.Entry<String, JsonNode>> fields = request.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            String name = f.getKey();
            if (GATEWAY_FIELDS.contains(name) || f.getValue().isNull()) {
                continue;
            }
            if (model.unsupportedParams().contains(name)) {
                dropped.add(name);
                continue;
            }
            out.set(name, f.getValue());
        }
        out.put("model", model.upstream());
        out.remove("stream_options");
        out.put("stream", false);
        if (!"max_tokens".equals(model.maxTokensParam()) && out.has("max_tokens")) {
            JsonNode max = out.remove("max_tokens");
            if (!out.has(model.maxTokensParam())) {
                out.set(model.maxTokensParam(), max);
            }
        }
        for (Map.Entry<String, String> rename : quirks.renamedParams().entrySet()) {
            JsonNode value = out.remove(rename.getKey());
            if (value != null) {
                out.set(rename.getValue(), value);
            }
        }
        ChatRequestShape shape = ChatRequestShape.of(quirks.requestFields());
        if (out.has("max_completion_tokens") && !shape.accepts("max_completion_tokens")) {
            // OpenAI's newer name for the output limit, for a host that knows only the older one
            JsonNode max = out.remove("max_completion_tokens");
            out.set("max_tokens", max);
        }
        shape.apply(out, dropped);
        if (quirks.nineCharToolCallIds() && out.get("messages") instanceof ArrayNode messages) {
            out.set("messages", ToolCallIds.nineChar(messages));
        }
        return out;
    }

    @Override
    public Completion fromUpstream(JsonNode response, ModelSpec model) {
        ArrayNode choices = JSON.arrayNode();
        for (JsonNode c : response.path("choices")) {
            ObjectNode choice = JSON.objectNode();
            choice.put("index", c.path("index").asInt(choices.size()));
            choice.set("message", message(c.path("message")));
            choice.set("logprobs", c.path("logprobs").isMissingNode() ? JSON.nullNode() : c.get("logprobs"));
            choice.put("finish_reason", finishReason(c.path("finish_reason").asText("stop")));
            choices.add(choice);
        }
        return Completion.unary(response.path("id").asText(), response.path("created").asLong(System.currentTimeMillis() / 1000),
                choices, usage(response.path("usage")), response.path("model").asText(model.upstream()));
    }

    /**
     * The answer's message in OpenAI's response shape only: hosts add fields of their own (Mistral's
     * {@code tool_calls: null}, a tool call's {@code index}) that typed clients reject or replay.
     */
    private static ObjectNode message(JsonNode upstream) {
        ObjectNode message = JSON.objectNode();
        message.put("role", "assistant");
        JsonNode content = upstream.path("content");
        message.set("content", content.isTextual() ? content : JSON.nullNode());
        message.set("refusal", upstream.path("refusal").isTextual() ? upstream.get("refusal") : JSON.nullNode());
        if (upstream.path("tool_calls").isArray() && !upstream.get("tool_calls").isEmpty()) {
            ArrayNode calls = message.putArray("tool_calls");
            for (JsonNode call : upstream.get("tool_calls")) {
                if (!call.path("function").isObject()) {
                    calls.add(call); // a custom tool call: OpenAI's own shape
                    continue;
                }
                ObjectNode out = calls.addObject();
                out.set("id", call.path("id"));
                out.put("type", call.path("type").asText("function"));
                ObjectNode function = out.putObject("function");
                function.set("name", call.path("function").path("name"));
                JsonNode arguments = call.path("function").path("arguments");
                function.put("arguments", arguments.isTextual() ? arguments.asText() : arguments.toString());
            }
        }
        if (upstream.path("annotations").isArray()) {
            message.set("annotations", upstream.get("annotations"));
        }
        if (upstream.path("audio").isObject()) {
            message.set("audio", upstream.get("audio"));
        }
        return message;
    }

    /** OpenAI counts cached tokens inside prompt_tokens; the canonical buckets do not overlap. */
    static Usage usage(JsonNode u) {
        long prompt = u.path("prompt_tokens").asLong(0);
        JsonNode details = u.path("prompt_tokens_details");
        long cached = details.path("cached_tokens").asLong(u.path("cached_tokens").asLong(0));
        long written = details.path("cache_write_tokens").asLong(0);
        long uncached = Math.max(0, prompt - cached - written);
        long output = u.path("completion_tokens").asLong(0);
        long reasoning = u.path("completion_tokens_details").path("reasoning_tokens").asLong(0);
        return new Usage(uncached, cached, written, output, reasoning, false);
    }

    /** OpenAI-compatible hosts have a few values of their own. */
    static String finishReason(String native_) {
        return switch (native_) {
            case "eos" -> "stop";
            case "model_length" -> "length";
            default -> native_;
        };
    }

    @Override
    public GatewayException toError(int status, JsonNode body, Map<String, String> headers, String provider) {
        JsonNode err = body.path("error");
        String message;
        String code = null;
        String param = null;
        if (err.isObject()) {
            message = err.path("message").asText(null);
            code = err.hasNonNull("code") ? err.get("code").asText() : null;
            param = err.hasNonNull("param") ? err.get("param").asText() : null;
        } else if (err.isTextual()) {
            message = err.asText();
        } else {
            // Mistral's envelope puts message at the top level: a string, or a validation failure's details
            // (FastAPI hosts send those as the body's own detail).
            JsonNode text = body.path("message");
            ValidationDetails details = ValidationDetails.of(text.isObject() ? text.path("detail") : body.path("detail"));
            if (details != null) {
                message = details.message();
                param = details.param();
            } else {
                message = text.isTextual() ? text.asText() : body.path("detail").isTextual() ? body.get("detail").asText() : null;
            }
            code = body.hasNonNull("code") ? body.get("code").asText() : null;
        }
        return UpstreamErrors.map(status, status, message, code, param, provider, headers);
    }

    @Override
    public long upstreamProcessingMs(Map<String, String> headers) {
        String v = headers.get("openai-processing-ms");
        if (v == null) {
            return -1;
        }
        try {
            return Math.round(Double.parseDouble(v));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    // ---- streaming ----------------------------------------------------------------------------------

    /**
     * {@link #toUpstream} with {@code stream: true} and {@code stream_options.include_usage}, without which
     * OpenAI reports no usage for a stream. Hosts that refuse stream_options (Mistral answers 422) send
     * usage on the final chunk anyway; their route file declares {@code streamOptions: omit}.
     */
    @Override
    public ObjectNode toUpstreamStream(ObjectNode request, ModelSpec model, ProviderQuirks quirks, List<String> dropped) {
        ObjectNode out = toUpstream(request, model, quirks, dropped);
        out.put("stream", true);
        if (!quirks.omitStreamOptions()) {
            out.putObject("stream_options").put("include_usage", true);
        }
        return out;
    }

    @Override
    public StreamDecoder streamDecoder(ModelSpec model) {
        String provider = model.provider();
        return new OpenAiStreamDecoder(provider, OpenAiWireTranslator::usage, OpenAiWireTranslator::finishReason,
                (status, body) -> toError(status, body, Map.of(), provider));
    }
}
