package ai.infrastack.gateway.limits;

/**
 * Where the rolling windows' counts live: in this process, or in Redis shared by every instance.
 * Each call is one atomic step per key, so concurrent requests cannot both take the last unit.
 */
public interface WindowStore {

    /**
     * Admits a request when one more request and {@code tokens} more tokens fit the limits, and
     * then counts the request and reserves the tokens in the current bucket; else changes nothing.
     */
    Admission admit(String key, HourlyLimits limits, long tokens, long nowMillis);

    /**
     * Replaces a reservation by what the request really used: {@code reserved} tokens leave the
     * bucket they were reserved in, {@code actual} tokens are counted in the current bucket.
     */
    WindowCounts settle(String key, long reservedBucket, long reserved, long actual, long nowMillis);

    /** The key's usage, changing nothing. */
    WindowCounts peek(String key, long nowMillis);
}
