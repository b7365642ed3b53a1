package ai.infrastack.gateway.analytics;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * One row of the request log: what happened to one request, with no prompt text and no secret.
 *
 * @param attempts every upstream attempt as a JSON array (core.Attempts), or null
 */
public record RequestRecord(
        String requestId,
        Instant createdAt,
        String keyId,
        String userId,
        String projectId,
        String trackingId,
        String requestedModel,
        String servedModel,
        String provider,
        int status,
        String errorType,
        long promptTokens,
        long completionTokens,
        long cachedTokens,
        BigDecimal inputCost,
        BigDecimal outputCost,
        BigDecimal totalCost,
        long latencyMs,
        Long ttfbMs,
        boolean cacheHit,
        boolean fallbackUsed,
        String routingStrategy,
        boolean streamed,
        String errorMessage,
        String attempts) {

    /** A row without upstream attempts recorded. */
    public RequestRecord(String requestId, Instant createdAt, String keyId, String userId, String projectId, String trackingId,
                         String requestedModel, String servedModel, String provider, int status, String errorType,
                         long promptTokens, long completionTokens, long cachedTokens, BigDecimal inputCost,
                         BigDecimal outputCost, BigDecimal totalCost, long latencyMs, Long ttfbMs, boolean cacheHit,
                         boolean fallbackUsed, String routingStrategy, boolean streamed, String errorMessage) {
        this(requestId, createdAt, keyId, userId, projectId, trackingId, requestedModel, servedModel, provider, status, errorType,
                promptTokens, completionTokens, cachedTokens, inputCost, outputCost, totalCost, latencyMs, ttfbMs, cacheHit,
                fallbackUsed, routingStrategy, streamed, errorMessage, null);
    }
}
