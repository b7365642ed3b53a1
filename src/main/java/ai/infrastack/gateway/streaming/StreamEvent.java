package ai.infrastack.gateway.streaming;

import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.Usage;

/**
 * What a vendor's stream says, in the gateway's own terms. Each vendor's {@link StreamDecoder} turns
 * its native events into these; {@link ChunkEncoder} turns these into OpenAI chunks. Nothing else
 * knows a vendor's streaming format.
 */
public sealed interface StreamEvent {

    /** The assistant turn begins (OpenAI's first chunk carries the role). */
    record Start() implements StreamEvent {}

    /** A fragment of the answer's text. */
    record Text(String text) implements StreamEvent {}

    /**
     * A tool call begins. {@code index} counts tool calls from 0 in the order they start (not the
     * vendor's content-block index). {@code arguments} may already hold all of them (Gemini, Mistral).
     */
    record ToolCallStart(int index, String id, String name, String arguments) implements StreamEvent {}

    /** More argument text for the tool call at {@code index}. */
    record ToolCallArguments(int index, String fragment) implements StreamEvent {}

    /** The vendor's finish reason, already mapped to OpenAI's ({@code stop}, {@code length}, {@code tool_calls}, {@code content_filter}). */
    record Finish(String finishReason) implements StreamEvent {}

    /**
     * Usage so far, in canonical buckets. Vendors report it cumulatively or in parts; the decoder
     * keeps its own running state and always emits the complete picture, so the last one wins.
     */
    record UsageReport(Usage usage) implements StreamEvent {}

    /** The vendor reported an error inside the stream (after HTTP 200). */
    record Failure(GatewayException error) implements StreamEvent {}

    /** The vendor's explicit end of stream ([DONE], message_stop, message-end…). */
    record End() implements StreamEvent {}
}
