package ai.infrastack.gateway.provider.openai;

import ai.infrastack.gateway.streaming.SseEvent;
import ai.infrastack.gateway.streaming.StreamDecoder;
import ai.infrastack.gateway.streaming.StreamEvent;
import ai.infrastack.gateway.streaming.StreamSupport;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.Usage;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * OpenAI's {@code chat.completion.chunk} stream, also spoken by Together, Mistral, Groq and other
 * OpenAI-compatible hosts (providers.md §2.4, §2.5, §4.1, §5.3): {@code data:} lines only, ending with
 * {@code data: [DONE]}.
 *
 * <ul>
 *   <li>the first chunk → {@link StreamEvent.Start}; {@code delta.content} → {@link StreamEvent.Text}
 *       (empty strings, e.g. the role chunk's {@code ""}, are skipped)</li>
 *   <li>{@code delta.tool_calls[]}: an entry with an id or a name → {@link StreamEvent.ToolCallStart} at the
 *       entry's own {@code index}, with whatever arguments it already holds (Mistral sends the whole call in
 *       one delta); other entries → {@link StreamEvent.ToolCallArguments}. An entry repeating the id of the
 *       call already started at its index is a fragment, not a new call.</li>
 *   <li>{@code finish_reason} → {@link StreamEvent.Finish} mapped like the non-streamed response; Mistral's
 *       {@code error} finish → {@link StreamEvent.Failure}</li>
 *   <li>{@code usage} (the final chunk, or OpenAI's extra {@code choices: []} chunk; Groq's
 *       {@code x_groq.usage}) → {@link StreamEvent.UsageReport}</li>
 *   <li>a chunk holding {@code error} (or Mistral's top-level {@code "object": "error"} envelope) →
 *       {@link StreamEvent.Failure}, HTTP 502 unless the error names an HTTP status</li>
 * </ul>
 * Only choice 0 is decoded: the gateway streams one choice.
 */
public final class OpenAiStreamDecoder implements StreamDecoder {
    private final String provider;
    private final Function<JsonNode, Usage> usage;
    private final UnaryOperator<String> finishReason;
    private final BiFunction<Integer, JsonNode, GatewayException> errors;

    private boolean started;
    /** The vendor's tool-call index → the gateway's. */
    private final Map<Integer, Integer> toolIndex = new HashMap<>();
    /** The gateway index → the id of the call started there. */
    private final Map<Integer, String> toolIds = new HashMap<>();
    private int nextFreeIndex;

    /**
     * @param provider     the provider named in errors
     * @param usage        the translator's usage normalisation of a {@code usage} object
     * @param finishReason the translator's finish-reason mapping
     * @param errors       the translator's error mapping of (status, error body)
     */
    public OpenAiStreamDecoder(String provider, Function<JsonNode, Usage> usage, UnaryOperator<String> finishReason,
                               BiFunction<Integer, JsonNode, GatewayException> errors) {
        this.provider = provider;
        this.usage = usage;
        this.finishReason = finishReason;
        this.errors = errors;
    }

    @Override
    public List<StreamEvent> decode(SseEvent event) {
        String data = event.data();
        if (data == null) {
            return List.of();
        }
        if ("[DONE]".equals(data.trim())) {
            return List.of(new StreamEvent.End());
        }
        JsonNode chunk = StreamSupport.parse(data);
        if (chunk == null || !chunk.isObject()) {
            return List.of(StreamSupport.unreadable(provider, StreamSupport.excerpt(data)));
        }
        JsonNode error = chunk.get("error");
        if (error != null && !error.isNull() || "error".equals(chunk.path("object").asText())) {
            // OpenAI's {"error":{…}}, or Mistral's envelope {"object":"error","message",…} at the top level
            return List.of(new StreamEvent.Failure(errors.apply(errorStatus(chunk), chunk)));
        }
        List<StreamEvent> out = new ArrayList<>(3);
        if (!started) {
            started = true;
            out.add(new StreamEvent.Start());
        }
        for (JsonNode choice : chunk.path("choices")) {
            if (choice.path("index").asInt(0) != 0) {
                continue;
            }
            JsonNode delta = choice.path("delta");
            JsonNode content = delta.get("content");
            if (content != null && content.isTextual() && !content.asText().isEmpty()) {
                out.add(new StreamEvent.Text(content.asText()));
            }
            JsonNode calls = delta.get("tool_calls");
            if (calls != null && calls.isArray()) {
                for (int i = 0; i < calls.size(); i++) {
                    toolCall(calls.get(i), i, out);
                }
            }
            JsonNode finish = choice.get("finish_reason");
            if (finish != null && finish.isTextual() && !finish.asText().isEmpty()) {
                if ("error".equals(finish.asText())) {
                    // Mistral ends a failed generation with finish_reason "error"
                    out.add(new StreamEvent.Failure(GatewayException.of(ErrorType.PROVIDER,
                                    "The upstream provider ended the generation with an error")
                            .status(502).provider(provider).code("upstream_error").build()));
                } else {
                    out.add(new StreamEvent.Finish(finishReason.apply(finish.asText())));
                }
            }
        }
        JsonNode u = chunk.get("usage");
        if (u == null || !u.isObject()) {
            u = chunk.path("x_groq").get("usage");
        }
        if (u != null && u.isObject()) {
            out.add(new StreamEvent.UsageReport(usage.apply(u)));
        }
        return out;
    }

    private void toolCall(JsonNode call, int position, List<StreamEvent> out) {
        int vendorIndex = call.path("index").asInt(position);
        JsonNode fn = call.path("function");
        String id = call.path("id").isTextual() && !call.get("id").asText().isEmpty() ? call.get("id").asText() : null;
        String name = fn.path("name").isTextual() && !fn.get("name").asText().isEmpty() ? fn.get("name").asText() : null;
        String arguments = fn.path("arguments").isTextual() ? fn.get("arguments").asText()
                : fn.path("arguments").isObject() ? fn.get("arguments").toString() : "";
        Integer known = toolIndex.get(vendorIndex);
        boolean startsCall = (id != null || name != null) && (known == null || id != null && !id.equals(toolIds.get(known)));
        if (startsCall) {
            // the vendor's own index, unless a different call already holds it
            int index = known == null && !toolIds.containsKey(vendorIndex) ? vendorIndex : nextFreeIndex;
            toolIndex.put(vendorIndex, index);
            toolIds.put(index, id == null ? "" : id);
            nextFreeIndex = Math.max(nextFreeIndex, index + 1);
            out.add(new StreamEvent.ToolCallStart(index, id == null ? "" : id, name == null ? "" : name, arguments));
        } else if (!arguments.isEmpty()) {
            out.add(new StreamEvent.ToolCallArguments(known == null ? vendorIndex : known, arguments));
        }
    }

    /** The status an in-stream error names ({@code error.code} or {@code error.status} as an HTTP status), else 502. */
    private static int errorStatus(JsonNode chunk) {
        JsonNode error = chunk.has("error") ? chunk.get("error") : chunk;
        int status = StreamSupport.httpStatus(error.get("code"));
        if (status == 0) {
            status = StreamSupport.httpStatus(error.get("status"));
        }
        if (status == 0) {
            status = StreamSupport.httpStatus(chunk.get("status_code"));
        }
        if (status == 0) {
            status = StreamSupport.httpStatus(chunk.get("raw_status_code"));
        }
        return status == 0 ? 502 : status;
    }
}
