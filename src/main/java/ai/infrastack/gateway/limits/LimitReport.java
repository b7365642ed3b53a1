package ai.infrastack.gateway.limits;

import ai.infrastack.gateway.core.ResponseHeaders;
import org.apache.camel.Exchange;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;

/**
 * What a key's window means to its caller: the six {@code X-RateLimit-*} headers, and how long to
 * wait when refused. A reset time is when the oldest usage still counted leaves the window — the
 * next moment the remaining count rises — or now when nothing is counted.
 */
public record LimitReport(HourlyLimits limits, WindowCounts counts, WindowGeometry geometry, long nowMillis) {

    public long remainingRequests() {
        return Math.max(0, limits.requests() - counts.requestsUsed());
    }

    public long remainingTokens() {
        return Math.max(0, limits.tokens() - counts.tokensUsed());
    }

    public Map<String, String> headers() {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("X-RateLimit-Limit-Requests", Long.toString(limits.requests()));
        h.put("X-RateLimit-Remaining-Requests", Long.toString(remainingRequests()));
        h.put("X-RateLimit-Reset-Requests", Long.toString(seconds(resetAt(counts.requests()))));
        h.put("X-RateLimit-Limit-Tokens", Long.toString(limits.tokens()));
        h.put("X-RateLimit-Remaining-Tokens", Long.toString(remainingTokens()));
        h.put("X-RateLimit-Reset-Tokens", Long.toString(seconds(resetAt(counts.tokens()))));
        return h;
    }

    /** Puts the headers on whatever answer the request gets (replacing earlier ones). */
    public void addTo(Exchange exchange) {
        headers().forEach((name, value) -> ResponseHeaders.add(exchange, name, value));
    }

    /** Whole seconds until one more request with this many tokens fits (at least 1). */
    public long retryAfterSeconds(long tokens) {
        long at = Math.max(fitsAt(counts.requests(), counts.requestsUsed(), limits.requests() - 1),
                fitsAt(counts.tokens(), counts.tokensUsed(), limits.tokens() - tokens));
        return Math.max(1, (at - nowMillis + 999) / 1000);
    }

    private long resetAt(SortedMap<Long, Long> buckets) {
        return buckets.isEmpty() ? nowMillis : geometry.leavesAtMillis(buckets.firstKey());
    }

    /**
     * When the window's usage falls to {@code allowed} or below, its buckets leaving oldest first.
     * A request larger than the whole limit never fits: then the time the window is empty.
     */
    private long fitsAt(SortedMap<Long, Long> buckets, long used, long allowed) {
        long at = nowMillis;
        long left = used;
        for (Map.Entry<Long, Long> bucket : buckets.entrySet()) {
            if (left <= allowed) {
                return at;
            }
            left -= Math.max(0, bucket.getValue());
            at = geometry.leavesAtMillis(bucket.getKey());
        }
        return at;
    }

    private static long seconds(long millis) {
        return (millis + 999) / 1000;
    }
}
