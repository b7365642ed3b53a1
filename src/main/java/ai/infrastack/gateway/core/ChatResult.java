package ai.infrastack.gateway.core;

import com.fasterxml.jackson.databind.node.ArrayNode;

/**
 * A completed upstream call, translated to OpenAI's shape: {@code choices} holds OpenAI choice
 * objects ({@code index}, {@code message}, {@code finish_reason}); usage is in canonical buckets.
 */
public record ChatResult(String id, long created, ArrayNode choices, Usage usage, String upstreamModel) {
}
