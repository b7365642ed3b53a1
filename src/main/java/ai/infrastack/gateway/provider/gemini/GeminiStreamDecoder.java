package ai.infrastack.gateway.provider.gemini;

import ai.infrastack.gateway.streaming.SseEvent;
import ai.infrastack.gateway.streaming.StreamDecoder;
import ai.infrastack.gateway.streaming.StreamEvent;
import ai.infrastack.gateway.streaming.StreamSupport;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.Usage;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Gemini's {@code streamGenerateContent?alt=sse} (providers.md §3.4, §3.5): every {@code data:} event is a
 * complete GenerateContentResponse holding only the new parts; there is no {@code [DONE]}, so this decoder
 * never emits {@link StreamEvent.End} — the end of the connection ends the stream.
 *
 * <ul>
 *   <li>the first response → {@link StreamEvent.Start}; text parts → {@link StreamEvent.Text}; thought parts
 *       → nothing</li>
 *   <li>each {@code functionCall} part (Gemini sends it whole) → {@link StreamEvent.ToolCallStart} with the
 *       full arguments and the id the non-streamed translation would give it (thoughtSignature included)</li>
 *   <li>{@code finishReason} → {@link StreamEvent.Finish}; STOP becomes tool_calls when the stream held a
 *       function call</li>
 *   <li>{@code usageMetadata} (cumulative, on every response) → {@link StreamEvent.UsageReport} whenever it
 *       changed; early Vertex chunks without counts are skipped</li>
 *   <li>a blocked prompt (no candidates, {@code promptFeedback.blockReason}) → Finish content_filter</li>
 *   <li>an {@code error} object → {@link StreamEvent.Failure}</li>
 * </ul>
 * Only candidate 0 is decoded: the gateway streams one choice.
 */
public final class GeminiStreamDecoder implements StreamDecoder {

    /** The translator's tool call for a functionCall part: an OpenAI {@code tool_calls[]} entry. */
    @FunctionalInterface
    public interface ToolCalls {
        JsonNode toolCall(JsonNode part, String responseId, int index);
    }

    private final String provider;
    private final Function<JsonNode, Usage> usage;
    private final BiFunction<String, Boolean, String> finishReason;
    private final BiFunction<Integer, JsonNode, GatewayException> errors;
    private final ToolCalls toolCalls;

    private boolean started;
    private int calls;
    private String responseId = "";
    private Usage lastUsage;

    /**
     * @param provider     the provider named in errors
     * @param usage        the translator's normalisation of {@code usageMetadata}
     * @param finishReason the translator's finishReason mapping (native, any tool call seen)
     * @param errors       the translator's error mapping of (status, error body)
     * @param toolCalls    the translator's tool-call translation, which makes the ids
     */
    public GeminiStreamDecoder(String provider, Function<JsonNode, Usage> usage,
                               BiFunction<String, Boolean, String> finishReason,
                               BiFunction<Integer, JsonNode, GatewayException> errors, ToolCalls toolCalls) {
        this.provider = provider;
        this.usage = usage;
        this.finishReason = finishReason;
        this.errors = errors;
        this.toolCalls = toolCalls;
    }

    @Override
    public List<StreamEvent> decode(SseEvent event) {
        JsonNode response = StreamSupport.parse(event.data());
        if (response == null || !response.isObject()) {
            // a JSON array element of the non-SSE form, or garbage
            return List.of(StreamSupport.unreadable(provider, StreamSupport.excerpt(event.data())));
        }
        JsonNode error = response.get("error");
        if (error != null && error.isObject()) {
            int status = StreamSupport.httpStatus(error.get("code"));
            return List.of(new StreamEvent.Failure(errors.apply(status == 0 ? 502 : status, response)));
        }
        List<StreamEvent> out = new ArrayList<>(4);
        if (!started) {
            started = true;
            out.add(new StreamEvent.Start());
        }
        if (response.path("responseId").isTextual()) {
            responseId = response.get("responseId").asText();
        }
        JsonNode candidates = response.path("candidates");
        if (candidates.isEmpty()) {
            if (response.path("promptFeedback").hasNonNull("blockReason")) {
                out.add(new StreamEvent.Finish("content_filter"));
            }
        } else {
            JsonNode candidate = candidateZero(candidates);
            if (candidate != null) {
                for (JsonNode part : candidate.path("content").path("parts")) {
                    if (part.path("thought").asBoolean(false)) {
                        continue;
                    }
                    if (part.has("functionCall")) {
                        JsonNode call = toolCalls.toolCall(part, responseId, calls);
                        JsonNode fn = call.path("function");
                        out.add(new StreamEvent.ToolCallStart(calls, call.path("id").asText(), fn.path("name").asText(),
                                fn.path("arguments").asText("{}")));
                        calls++;
                    } else if (part.path("text").isTextual() && !part.get("text").asText().isEmpty()) {
                        out.add(new StreamEvent.Text(part.get("text").asText()));
                    }
                }
                JsonNode finish = candidate.get("finishReason");
                if (finish != null && finish.isTextual() && !finish.asText().isEmpty()) {
                    out.add(new StreamEvent.Finish(finishReason.apply(finish.asText(), calls > 0)));
                }
            }
        }
        JsonNode u = response.get("usageMetadata");
        if (u != null && u.isObject() && (u.has("promptTokenCount") || u.has("candidatesTokenCount") || u.has("totalTokenCount"))) {
            Usage now = usage.apply(u);
            if (!now.equals(lastUsage)) {
                lastUsage = now;
                out.add(new StreamEvent.UsageReport(now));
            }
        }
        return out;
    }

    private static JsonNode candidateZero(JsonNode candidates) {
        for (JsonNode c : candidates) {
            if (c.path("index").asInt(0) == 0) {
                return c;
            }
        }
        return null;
    }
}
