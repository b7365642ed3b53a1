package ai.infrastack.gateway.provider.cohere;

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
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Cohere's Chat v2 stream (providers.md §6.4): kebab-case named events whose data repeats the name in
 * {@code type}.
 *
 * <ul>
 *   <li>{@code message-start} → {@link StreamEvent.Start}</li>
 *   <li>{@code content-delta} and {@code tool-plan-delta} → {@link StreamEvent.Text} (the plan stands in for
 *       the text, as in the non-streamed translation)</li>
 *   <li>{@code tool-call-start} → {@link StreamEvent.ToolCallStart} with the arguments it already holds
 *       ({@code tool_calls} is one object in stream deltas), numbered in the order calls start;
 *       {@code tool-call-delta} → {@link StreamEvent.ToolCallArguments}</li>
 *   <li>{@code message-end} → {@link StreamEvent.Finish} + {@link StreamEvent.UsageReport} (billed units) +
 *       {@link StreamEvent.End}; with finish_reason ERROR or TIMEOUT (or an {@code error}) the usage so far,
 *       then {@link StreamEvent.Failure} and no End</li>
 *   <li>content-start/-end, tool-call-end, citations and debug → nothing; a {@code [DONE]} after
 *       message-end adds nothing</li>
 * </ul>
 */
public final class CohereStreamDecoder implements StreamDecoder {
    private final String provider;
    private final Function<JsonNode, Usage> usage;
    private final UnaryOperator<String> finishReason;

    private boolean started;
    private boolean ended;
    /** Cohere's tool-call index → the gateway's. */
    private final Map<Integer, Integer> toolIndex = new HashMap<>();
    private int toolCalls;

    /**
     * @param provider     the provider named in errors
     * @param usage        the translator's usage normalisation (billed_units)
     * @param finishReason the translator's finish-reason mapping
     */
    public CohereStreamDecoder(String provider, Function<JsonNode, Usage> usage, UnaryOperator<String> finishReason) {
        this.provider = provider;
        this.usage = usage;
        this.finishReason = finishReason;
    }

    @Override
    public List<StreamEvent> decode(SseEvent event) {
        String raw = event.data();
        if (raw != null && "[DONE]".equals(raw.trim())) {
            return ended ? List.of() : end(List.of());
        }
        JsonNode data = StreamSupport.parse(raw);
        if (data == null || !data.isObject()) {
            return List.of(StreamSupport.unreadable(provider, StreamSupport.excerpt(raw)));
        }
        String type = data.path("type").isTextual() ? data.get("type").asText() : event.event();
        if (type == null) {
            return List.of();
        }
        JsonNode message = data.path("delta").path("message");
        switch (type) {
            case "message-start":
                if (started) {
                    return List.of();
                }
                started = true;
                return List.of(new StreamEvent.Start());
            case "content-start":
            case "content-delta": {
                String text = message.path("content").path("text").asText("");
                return text.isEmpty() ? List.of() : List.of(new StreamEvent.Text(text));
            }
            case "tool-plan-delta": {
                String plan = message.path("tool_plan").asText("");
                return plan.isEmpty() ? List.of() : List.of(new StreamEvent.Text(plan));
            }
            case "tool-call-start": {
                JsonNode call = message.path("tool_calls");
                if (call.isArray()) {
                    call = call.path(0);
                }
                int k = toolCalls++;
                toolIndex.put(data.path("index").asInt(k), k);
                JsonNode fn = call.path("function");
                return List.of(new StreamEvent.ToolCallStart(k, call.path("id").asText(""), fn.path("name").asText(""),
                        fn.path("arguments").asText("")));
            }
            case "tool-call-delta": {
                JsonNode call = message.path("tool_calls");
                if (call.isArray()) {
                    call = call.path(0);
                }
                String fragment = call.path("function").path("arguments").asText("");
                if (fragment.isEmpty()) {
                    return List.of();
                }
                Integer k = toolIndex.get(data.path("index").asInt(toolCalls - 1));
                return List.of(new StreamEvent.ToolCallArguments(k == null ? Math.max(0, toolCalls - 1) : k, fragment));
            }
            case "message-end":
                return messageEnd(data.path("delta"));
            default:
                return List.of(); // content-end, tool-call-end, citation-start/-end, debug
        }
    }

    private List<StreamEvent> messageEnd(JsonNode delta) {
        List<StreamEvent> out = new ArrayList<>(3);
        String finish = delta.path("finish_reason").asText("COMPLETE");
        JsonNode error = delta.get("error");
        boolean failed = "ERROR".equals(finish) || "TIMEOUT".equals(finish)
                || error != null && error.isTextual() && !error.asText().isEmpty();
        if (!failed) {
            out.add(new StreamEvent.Finish(finishReason.apply(finish)));
        }
        JsonNode u = delta.get("usage");
        if (u != null && u.isObject()) {
            out.add(new StreamEvent.UsageReport(usage.apply(u)));
        }
        if (failed) {
            String detail = error != null && error.isTextual() && !error.asText().isEmpty() ? ": " + error.asText() : "";
            String code = "ERROR".equals(finish) || "TIMEOUT".equals(finish) ? "upstream_" + finish.toLowerCase(Locale.ROOT)
                    : "upstream_error";
            out.add(new StreamEvent.Failure(GatewayException.of(ErrorType.PROVIDER,
                            "Cohere ended the generation with " + finish + detail)
                    .status(502).provider(provider).code(code).build()));
            ended = true;
            return out;
        }
        return end(out);
    }

    private List<StreamEvent> end(List<StreamEvent> before) {
        ended = true;
        List<StreamEvent> out = new ArrayList<>(before);
        out.add(new StreamEvent.End());
        return out;
    }
}
