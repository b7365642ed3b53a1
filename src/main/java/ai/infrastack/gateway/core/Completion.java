package ai.infrastack.gateway.core;

import com.fasterxml.jackson.databind.node.ArrayNode;

/**
 * How an answer ended, unary or streamed: what the steps after the provider call — cost, budget
 * settlement, rendering, analytics — work from. A unary answer carries OpenAI choice objects
 * ({@code index}, {@code message}, {@code finish_reason}); a streamed one has already sent its
 * content and carries only how it ended. Usage is in canonical buckets either way.
 *
 * @param choices      the unary answer's choices; for a stream null, unless a step asked for its content
 *                     ({@link ExchangeKeys#KEEP_STREAMED_ANSWER}): then the complete stream's assembled answer
 * @param finishReason a stream's finish reason (null when it did not finish); unary answers carry theirs in choices
 * @param ending       COMPLETE, or for a stream FAILED mid-way or ABANDONED by the client
 * @param failure      what broke a FAILED stream, else null
 */
public record Completion(String id, long created, ArrayNode choices, Usage usage, String upstreamModel,
                         boolean streamed, String finishReason, Ending ending, GatewayException failure) {

    public enum Ending { COMPLETE, FAILED, ABANDONED }

    /** A whole answer from a non-streamed call. */
    public static Completion unary(String id, long created, ArrayNode choices, Usage usage, String upstreamModel) {
        return new Completion(id, created, choices, usage, upstreamModel, false, null, Ending.COMPLETE, null);
    }

    public boolean complete() {
        return ending == Ending.COMPLETE;
    }

    /** The status the request is recorded with: 200, the failure's status, or 499 for a client that left. */
    public int status() {
        return switch (ending) {
            case COMPLETE -> 200;
            case FAILED -> failure.status();
            case ABANDONED -> 499;
        };
    }
}
