package ai.infrastack.gateway.provider.gemini;

import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.Completion;
import ai.infrastack.gateway.provider.OpenAiRequestParts;
import ai.infrastack.gateway.provider.ProviderQuirks;
import ai.infrastack.gateway.provider.UpstreamErrors;
import ai.infrastack.gateway.provider.WireTranslator;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.Usage;
import ai.infrastack.gateway.streaming.StreamDecoder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Google's Generative Language API ({@code generateContent}): the model goes in the URL, the
 * assistant is role {@code model}, system messages become {@code systemInstruction}, sampling
 * parameters go in {@code generationConfig}, and tool calls are {@code functionCall} /
 * {@code functionResponse} parts. Gemini returns no tool-call ids, so the gateway makes them, and
 * carries each call's {@code thoughtSignature} inside its id so it can be echoed back on the next turn.
 */
public final class GeminiWireTranslator implements WireTranslator {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final ObjectMapper MAPPER = Json.plainMapper();
    /** Separates the gateway's id from the thought signature it carries. */
    static final String SIGNATURE_MARK = ".ts.";
    /** JSON-Schema keywords outside the OpenAPI subset that Gemini accepts. */
    private static final Set<String> UNSUPPORTED_SCHEMA_KEYS = Set.of("additionalProperties", "$schema", "strict", "$defs",
            "definitions", "$ref", "$id", "$comment", "examples", "default", "const", "patternProperties");
    private static final Set<String> MAPPED = Set.of("model", "messages", "max_tokens", "max_completion_tokens",
            "temperature", "top_p", "top_k", "stop", "n", "presence_penalty", "frequency_penalty", "seed", "stream",
            "response_format", "tools", "tool_choice", "routing", "budget", "response");

    @Override
    public String format() {
        return "gemini";
    }

    @Override
    public String chatPath(ModelSpec model) {
        return "/v1beta/models/" + model.upstream() + ":generateContent";
    }

    @Override
    public Map<String, String> headers(String apiKey) {
        // The header, never the ?key= query form, which would put the key into access logs.
        return Map.of("x-goog-api-key", apiKey);
    }

    @Override
    public ObjectNode toUpstream(ObjectNode request, ModelSpec model, ProviderQuirks quirks, List<String> dropped) {
        ObjectNode out = JSON.objectNode();
        mapMessages(request.path("messages"), out);
        ObjectNode config = JSON.objectNode();
        copy(request, "temperature", config, "temperature");
        copy(request, "top_p", config, "topP");
        copy(request, "top_k", config, "topK");
        copy(request, "n", config, "candidateCount");
        copy(request, "presence_penalty", config, "presencePenalty");
        copy(request, "frequency_penalty", config, "frequencyPenalty");
        copy(request, "seed", config, "seed");
        JsonNode max = request.hasNonNull("max_tokens") ? request.get("max_tokens") : request.get("max_completion_tokens");
        if (max != null && !max.isNull()) {
            config.set("maxOutputTokens", max);
        }
        ArrayNode stop = OpenAiRequestParts.stopSequences(request.get("stop"));
        if (stop != null) {
            config.set("stopSequences", stop);
        }
        String format = request.path("response_format").path("type").asText("");
        if (format.equals("json_object") || format.equals("json_schema")) {
            config.put("responseMimeType", "application/json");
            // Gemini takes a JSON Schema as it is in responseJsonSchema (responseSchema is its OpenAPI subset)
            JsonNode schema = request.path("response_format").path("json_schema").path("schema");
            if (format.equals("json_schema") && schema.isObject()) {
                config.set("responseJsonSchema", schema);
            }
        }
        if (!config.isEmpty()) {
            out.set("generationConfig", config);
        }
        mapTools(request, out);
        OpenAiRequestParts.nameUnmapped(request, MAPPED, dropped);
        return out;
    }

    private static void copy(ObjectNode from, String field, ObjectNode to, String target) {
        JsonNode v = from.get(field);
        if (v != null && !v.isNull()) {
            to.set(target, v);
        }
    }

    private static void mapMessages(JsonNode messages, ObjectNode out) {
        StringBuilder system = new StringBuilder();
        ArrayNode contents = JSON.arrayNode();
        Map<String, String> toolNames = new HashMap<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            switch (m.path("role").asText()) {
                case "system", "developer" -> {
                    if (system.length() > 0) {
                        system.append("\n\n");
                    }
                    system.append(OpenAiRequestParts.text(m.get("content")));
                }
                case "user" -> OpenAiRequestParts.appendTurn(contents, "user", "parts", parts(m.get("content")));
                case "assistant" -> {
                    ArrayNode parts = parts(m.get("content"));
                    JsonNode calls = m.path("tool_calls");
                    for (int c = 0; c < calls.size(); c++) {
                        parts.add(functionCall(calls.get(c), i, c, toolNames));
                    }
                    OpenAiRequestParts.appendTurn(contents, "model", "parts", parts);
                }
                case "tool" -> {
                    ObjectNode part = JSON.objectNode();
                    ObjectNode response = part.putObject("functionResponse");
                    String id = m.path("tool_call_id").asText();
                    response.put("name", m.hasNonNull("name") ? m.get("name").asText() : toolNames.getOrDefault(id, id));
                    response.set("response", responseObject(OpenAiRequestParts.text(m.get("content"))));
                    OpenAiRequestParts.appendTurn(contents, "user", "parts", JSON.arrayNode().add(part));
                }
                default -> { }
            }
        }
        if (system.length() > 0) {
            out.putObject("systemInstruction").putArray("parts").addObject().put("text", system.toString());
        }
        out.set("contents", contents);
    }

    private static ObjectNode functionCall(JsonNode call, int message, int index, Map<String, String> toolNames) {
        String id = call.path("id").asText();
        String name = call.path("function").path("name").asText();
        toolNames.put(id, name);
        ObjectNode part = JSON.objectNode();
        ObjectNode fc = part.putObject("functionCall");
        fc.put("name", name);
        fc.set("args", OpenAiRequestParts.toolArguments(call, message, index));
        int mark = id.indexOf(SIGNATURE_MARK);
        if (mark >= 0) {
            // Thinking models refuse a replayed call without the signature they gave it.
            part.put("thoughtSignature", id.substring(mark + SIGNATURE_MARK.length()));
        }
        return part;
    }

    /** functionResponse.response must be an object: JSON objects pass, anything else is wrapped. */
    private static JsonNode responseObject(String content) {
        try {
            JsonNode parsed = MAPPER.readTree(content);
            if (parsed != null && parsed.isObject()) {
                return parsed;
            }
        } catch (JsonProcessingException e) {
            // not JSON: wrapped below
        }
        return JSON.objectNode().put("content", content);
    }

    private static ArrayNode parts(JsonNode content) {
        ArrayNode parts = JSON.arrayNode();
        if (content == null || content.isNull()) {
            return parts;
        }
        if (content.isTextual()) {
            if (!content.asText().isEmpty()) {
                parts.addObject().put("text", content.asText());
            }
            return parts;
        }
        for (JsonNode part : content) {
            if ("text".equals(part.path("type").asText())) {
                if (!part.path("text").asText().isEmpty()) {
                    parts.addObject().put("text", part.path("text").asText());
                }
            } else if ("image_url".equals(part.path("type").asText())) {
                parts.add(image(part.get("image_url")));
            }
        }
        return parts;
    }

    /** A data URL becomes inline data; a URL becomes file data Gemini fetches itself. */
    static ObjectNode image(JsonNode imageUrl) {
        String url = OpenAiRequestParts.imageUrl(imageUrl);
        ObjectNode part = JSON.objectNode();
        OpenAiRequestParts.DataUrl data = OpenAiRequestParts.dataUrl(url);
        if (data != null) {
            ObjectNode inline = part.putObject("inlineData");
            inline.put("mimeType", data.mediaType());
            inline.put("data", data.data());
        } else {
            ObjectNode file = part.putObject("fileData");
            file.put("mimeType", mimeTypeOf(url));
            file.put("fileUri", url);
        }
        return part;
    }

    private static String mimeTypeOf(String url) {
        String path = url.toLowerCase(Locale.ROOT);
        int query = path.indexOf('?');
        if (query >= 0) {
            path = path.substring(0, query);
        }
        if (path.endsWith(".png")) {
            return "image/png";
        }
        if (path.endsWith(".gif")) {
            return "image/gif";
        }
        if (path.endsWith(".webp")) {
            return "image/webp";
        }
        return "image/jpeg";
    }

    private static void mapTools(ObjectNode request, ObjectNode out) {
        JsonNode tools = request.get("tools");
        if (tools == null || tools.isNull() || tools.isEmpty()) {
            return;
        }
        ArrayNode declarations = out.putArray("tools").addObject().putArray("functionDeclarations");
        for (JsonNode t : tools) {
            JsonNode f = t.path("function");
            ObjectNode d = declarations.addObject();
            d.put("name", f.path("name").asText());
            if (f.hasNonNull("description")) {
                d.put("description", f.get("description").asText());
            }
            JsonNode params = f.get("parameters");
            if (params != null && params.isObject() && !params.isEmpty()) {
                d.set("parameters", openApiSubset(params));
            }
        }
        JsonNode choice = request.get("tool_choice");
        if (choice == null || choice.isNull()) {
            return;
        }
        ObjectNode calling = out.putObject("toolConfig").putObject("functionCallingConfig");
        if (choice.isObject()) {
            calling.put("mode", "ANY");
            calling.putArray("allowedFunctionNames").add(choice.path("function").path("name").asText());
        } else {
            calling.put("mode", switch (choice.asText()) {
                case "required" -> "ANY";
                case "none" -> "NONE";
                default -> "AUTO";
            });
        }
    }

    /** A copy of a JSON Schema without the keywords Gemini's OpenAPI subset rejects. */
    static JsonNode openApiSubset(JsonNode schema) {
        if (schema.isObject()) {
            ObjectNode out = JSON.objectNode();
            Iterator<Map.Entry<String, JsonNode>> fields = schema.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                if (!UNSUPPORTED_SCHEMA_KEYS.contains(f.getKey())) {
                    // Under "properties" the keys are property names, which may be anything.
                    out.set(f.getKey(), f.getKey().equals("properties") ? propertiesSubset(f.getValue()) : openApiSubset(f.getValue()));
                }
            }
            return out;
        }
        if (schema.isArray()) {
            ArrayNode out = JSON.arrayNode();
            schema.forEach(s -> out.add(openApiSubset(s)));
            return out;
        }
        return schema;
    }

    private static JsonNode propertiesSubset(JsonNode properties) {
        if (!properties.isObject()) {
            return properties;
        }
        ObjectNode out = JSON.objectNode();
        properties.fields().forEachRemaining(p -> out.set(p.getKey(), openApiSubset(p.getValue())));
        return out;
    }

    @Override
    public Completion fromUpstream(JsonNode response, ModelSpec model) {
        String responseId = response.path("responseId").asText("");
        ArrayNode choices = JSON.arrayNode();
        JsonNode candidates = response.path("candidates");
        if (candidates.isEmpty()) {
            // A blocked prompt is an answer, not an error: no content, finish_reason content_filter.
            choices.add(choice(0, null, JSON.arrayNode(), "content_filter"));
        }
        for (int i = 0; i < candidates.size(); i++) {
            JsonNode c = candidates.get(i);
            StringBuilder text = new StringBuilder();
            ArrayNode calls = JSON.arrayNode();
            for (JsonNode part : c.path("content").path("parts")) {
                if (part.path("thought").asBoolean(false)) {
                    continue;
                }
                if (part.has("functionCall")) {
                    calls.add(toolCall(part, responseId, i, calls.size()));
                } else if (part.has("text")) {
                    text.append(part.get("text").asText());
                }
            }
            String finish = finishReason(c.path("finishReason").asText("STOP"), !calls.isEmpty());
            choices.add(choice(c.path("index").asInt(i), text.length() == 0 && (!calls.isEmpty() || "content_filter".equals(finish))
                    ? null : text.toString(), calls, finish));
        }
        return Completion.unary(responseId.isEmpty() ? "gemini-" + Integer.toHexString(response.hashCode()) : responseId,
                System.currentTimeMillis() / 1000, choices, usage(response.path("usageMetadata")),
                response.path("modelVersion").asText(model.upstream()));
    }

    private static ObjectNode toolCall(JsonNode part, String responseId, int candidate, int index) {
        JsonNode fc = part.get("functionCall");
        String base = fc.hasNonNull("id") ? fc.get("id").asText() : "call_" + shortHash(responseId + ":" + candidate + ":" + index + ":" + fc);
        String id = part.hasNonNull("thoughtSignature") ? base + SIGNATURE_MARK + part.get("thoughtSignature").asText() : base;
        ObjectNode call = JSON.objectNode();
        call.put("id", id);
        call.put("type", "function");
        ObjectNode fn = call.putObject("function");
        fn.put("name", fc.path("name").asText());
        fn.put("arguments", fc.path("args").isMissingNode() ? "{}" : fc.get("args").toString());
        return call;
    }

    private static ObjectNode choice(int index, String content, ArrayNode calls, String finish) {
        ObjectNode message = JSON.objectNode();
        message.put("role", "assistant");
        message.put("content", content);
        if (!calls.isEmpty()) {
            message.set("tool_calls", calls);
        }
        message.putNull("refusal");
        ObjectNode choice = JSON.objectNode();
        choice.put("index", index);
        choice.set("message", message);
        choice.putNull("logprobs");
        choice.put("finish_reason", finish);
        return choice;
    }

    /** Gemini keeps STOP for tool calls; safety and recitation stops are content filters. */
    static String finishReason(String native_, boolean hasToolCalls) {
        return switch (native_) {
            case "MAX_TOKENS" -> "length";
            case "SAFETY", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "RECITATION", "LANGUAGE",
                    "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION" -> "content_filter";
            default -> hasToolCalls ? "tool_calls" : "stop";
        };
    }

    /**
     * promptTokenCount includes cached tokens (like OpenAI); thoughts are outside
     * candidatesTokenCount but billed as output.
     */
    static Usage usage(JsonNode u) {
        long prompt = u.path("promptTokenCount").asLong(0) + u.path("toolUsePromptTokenCount").asLong(0);
        long cached = u.path("cachedContentTokenCount").asLong(0);
        long thoughts = u.path("thoughtsTokenCount").asLong(0);
        long output = u.path("candidatesTokenCount").asLong(0) + thoughts;
        return new Usage(Math.max(0, prompt - cached), cached, 0, output, thoughts, false);
    }

    @Override
    public GatewayException toError(int status, JsonNode body, Map<String, String> headers, String provider) {
        JsonNode err = body.path("error");
        String message = err.path("message").asText(body.path("message").asText(null));
        String code = err.hasNonNull("status") ? err.get("status").asText() : null;
        Map<String, String> extra = new HashMap<>(headers);
        int meaning = status;
        String param = null;
        for (JsonNode detail : err.path("details")) {
            JsonNode violation = detail.path("fieldViolations").path(0);
            if (param == null && violation.hasNonNull("field")) {
                param = clientParam(violation.get("field").asText());
            }
            if ("API_KEY_INVALID".equals(detail.path("reason").asText())) {
                // Gemini reports a bad key as 400; it is the gateway's credential, not the client's request.
                meaning = 401;
            }
            String delay = detail.path("retryDelay").asText("");
            if (delay.endsWith("s")) {
                try {
                    extra.put("retry-after", String.valueOf((long) Math.ceil(Double.parseDouble(delay.substring(0, delay.length() - 1)))));
                } catch (NumberFormatException e) {
                    // an unreadable delay is left out rather than guessed
                }
            }
        }
        return UpstreamErrors.map(meaning, status, message, code, param, provider, extra);
    }

    /** Gemini's names for the generation settings, as the client sent them; other fields have no client name. */
    private static final Map<String, String> CLIENT_PARAMS = Map.of(
            "max_output_tokens", "max_tokens", "temperature", "temperature", "top_p", "top_p", "top_k", "top_k",
            "stop_sequences", "stop", "candidate_count", "n", "seed", "seed",
            "response_schema", "response_format", "response_json_schema", "response_format",
            "response_mime_type", "response_format");

    private static String clientParam(String field) {
        String name = field.startsWith("generation_config.") ? field.substring("generation_config.".length())
                : field.startsWith("generationConfig.") ? field.substring("generationConfig.".length()) : null;
        if (name == null) {
            return null;
        }
        int dot = name.indexOf('.');
        return CLIENT_PARAMS.get(dot < 0 ? name : name.substring(0, dot));
    }

    private static String shortHash(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        long h = 1125899906842597L;
        for (byte b : bytes) {
            h = 31 * h + b;
        }
        return Long.toUnsignedString(h, 36);
    }

    // ---- streaming ----------------------------------------------------------------------------------

    /** Server-sent events need {@code alt=sse}; without it Gemini streams one JSON array. */
    @Override
    public String streamPath(ModelSpec model) {
        return "/v1beta/models/" + model.upstream() + ":streamGenerateContent?alt=sse";
    }

    /** The same body as {@link #toUpstream}: Gemini streams because of the URL, not the body. */
    @Override
    public ObjectNode toUpstreamStream(ObjectNode request, ModelSpec model, ProviderQuirks quirks, List<String> dropped) {
        ObjectNode out = toUpstream(request, model, quirks, dropped);
        dropped.remove("stream_options");
        return out;
    }

    @Override
    public StreamDecoder streamDecoder(ModelSpec model) {
        String provider = model.provider();
        // candidate 0, numbered across the stream: the ids the non-streamed translation would give
        return new GeminiStreamDecoder(provider, GeminiWireTranslator::usage, GeminiWireTranslator::finishReason,
                (status, body) -> toError(status, body, Map.of(), provider),
                (part, responseId, index) -> toolCall(part, responseId, 0, index));
    }
}
