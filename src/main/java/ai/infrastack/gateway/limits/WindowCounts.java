package ai.infrastack.gateway.limits;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One key's usage in the window, bucket → count, for requests and for tokens: what every store
 * answers with, so the headers are computed in one place whichever store counted.
 */
public record WindowCounts(SortedMap<Long, Long> requests, SortedMap<Long, Long> tokens) {

    public static WindowCounts empty() {
        return new WindowCounts(new TreeMap<>(), new TreeMap<>());
    }

    public long requestsUsed() {
        return sum(requests);
    }

    public long tokensUsed() {
        return sum(tokens);
    }

    static long sum(Map<Long, Long> buckets) {
        long total = 0;
        for (long v : buckets.values()) {
            total += Math.max(0, v);
        }
        return total;
    }
}
