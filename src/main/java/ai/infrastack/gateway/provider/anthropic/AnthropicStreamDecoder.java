package ai.infrastack.gateway.provider.anthropic;

import ai.infrastack.gateway.streaming.SseEvent;
import ai.infrastack.gateway.streaming.StreamDecoder;
import ai.infrastack.gateway.streaming.StreamEvent;
import ai.infrastack.gateway.streaming.StreamSupport;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.Usage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Anthropic's Messages stream (providers.md §1.4, §1.5): named events.
 *
 * <ul>
 *   <li>{@code message_start} → {@link StreamEvent.Start} + {@link StreamEvent.UsageReport} (input and cache
 *       tokens are only here)</li>
 *   <li>{@code content_block_start} of a {@code tool_use} block → {@link StreamEvent.ToolCallStart} with empty
 *       arguments, numbered by counting tool_use blocks (not by the content-block index, which also counts the
 *       text block before it); text and other blocks → nothing</li>
 *   <li>{@code text_delta} → {@link StreamEvent.Text}; {@code input_json_delta} →
 *       {@link StreamEvent.ToolCallArguments} of that block's call; thinking and signature deltas → nothing</li>
 *   <li>{@code message_delta} → {@link StreamEvent.Finish} + {@link StreamEvent.UsageReport}: its usage is
 *       cumulative and is merged over message_start's, so input and cache counts it leaves out are kept and
 *       those it repeats win</li>
 *   <li>{@code message_stop} → {@link StreamEvent.End}; {@code ping} and block stops → nothing</li>
 *   <li>{@code error} → {@link StreamEvent.Failure}, the HTTP status derived from {@code error.type}
 *       (overloaded_error is Anthropic's 529, which the gateway reports as a 503 provider_error)</li>
 * </ul>
 */
public final class AnthropicStreamDecoder implements StreamDecoder {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final String provider;
    private final Function<JsonNode, Usage> usage;
    private final UnaryOperator<String> finishReason;
    private final BiFunction<Integer, JsonNode, GatewayException> errors;

    private boolean started;
    /** The usage reported so far, Anthropic's own fields merged event over event. */
    private final ObjectNode runningUsage = JSON.objectNode();
    /** Content-block index → tool-call index, for tool_use blocks. */
    private final Map<Integer, Integer> toolBlocks = new HashMap<>();
    private int toolCalls;

    /**
     * @param provider     the provider named in errors
     * @param usage        the translator's usage normalisation of Anthropic's {@code usage} object
     * @param finishReason the translator's stop_reason mapping
     * @param errors       the translator's error mapping of (status, error body)
     */
    public AnthropicStreamDecoder(String provider, Function<JsonNode, Usage> usage, UnaryOperator<String> finishReason,
                                  BiFunction<Integer, JsonNode, GatewayException> errors) {
        this.provider = provider;
        this.usage = usage;
        this.finishReason = finishReason;
        this.errors = errors;
    }

    @Override
    public List<StreamEvent> decode(SseEvent event) {
        JsonNode data = StreamSupport.parse(event.data());
        String type = data != null && data.path("type").isTextual() ? data.get("type").asText() : event.event();
        if ("ping".equals(type)) {
            return List.of();
        }
        if (data == null || !data.isObject()) {
            return List.of(StreamSupport.unreadable(provider, StreamSupport.excerpt(event.data())));
        }
        if (type == null) {
            return List.of();
        }
        switch (type) {
            case "message_start": {
                List<StreamEvent> out = new ArrayList<>(2);
                if (!started) {
                    started = true;
                    out.add(new StreamEvent.Start());
                }
                JsonNode u = data.path("message").get("usage");
                if (u != null && u.isObject()) {
                    merge(u);
                    out.add(new StreamEvent.UsageReport(usage.apply(runningUsage)));
                }
                return out;
            }
            case "content_block_start": {
                JsonNode block = data.path("content_block");
                if ("tool_use".equals(block.path("type").asText())) {
                    int k = toolCalls++;
                    toolBlocks.put(data.path("index").asInt(), k);
                    return List.of(new StreamEvent.ToolCallStart(k, block.path("id").asText(""),
                            block.path("name").asText(""), ""));
                }
                if ("text".equals(block.path("type").asText()) && !block.path("text").asText("").isEmpty()) {
                    return List.of(new StreamEvent.Text(block.get("text").asText()));
                }
                return List.of();
            }
            case "content_block_delta": {
                JsonNode delta = data.path("delta");
                switch (delta.path("type").asText()) {
                    case "text_delta": {
                        String text = delta.path("text").asText("");
                        return text.isEmpty() ? List.of() : List.of(new StreamEvent.Text(text));
                    }
                    case "input_json_delta": {
                        Integer k = toolBlocks.get(data.path("index").asInt());
                        String fragment = delta.path("partial_json").asText("");
                        return k == null || fragment.isEmpty() ? List.of() : List.of(new StreamEvent.ToolCallArguments(k, fragment));
                    }
                    default:
                        return List.of(); // thinking_delta, signature_delta, citations_delta
                }
            }
            case "message_delta": {
                List<StreamEvent> out = new ArrayList<>(2);
                JsonNode stop = data.path("delta").get("stop_reason");
                if (stop != null && stop.isTextual()) {
                    out.add(new StreamEvent.Finish(finishReason.apply(stop.asText())));
                }
                JsonNode u = data.get("usage");
                if (u != null && u.isObject()) {
                    merge(u);
                    out.add(new StreamEvent.UsageReport(usage.apply(runningUsage)));
                }
                return out;
            }
            case "message_stop":
                return List.of(new StreamEvent.End());
            case "error":
                return List.of(new StreamEvent.Failure(errors.apply(statusOf(data.path("error").path("type").asText("")), data)));
            default:
                return List.of(); // content_block_stop and event types added later
        }
    }

    /** Cumulative counts: each present, non-null field replaces the one reported before. */
    private void merge(JsonNode u) {
        u.fields().forEachRemaining(f -> {
            if (!f.getValue().isNull()) {
                runningUsage.set(f.getKey(), f.getValue());
            }
        });
    }

    /** The HTTP status Anthropic sends with each error type (providers.md §1.6). */
    static int statusOf(String errorType) {
        return switch (errorType) {
            case "invalid_request_error" -> 400;
            case "authentication_error" -> 401;
            case "billing_error" -> 402;
            case "permission_error" -> 403;
            case "not_found_error" -> 404;
            case "request_too_large" -> 413;
            case "rate_limit_error" -> 429;
            case "api_error" -> 500;
            case "timeout_error" -> 504;
            case "overloaded_error" -> 529;
            default -> 502;
        };
    }
}
