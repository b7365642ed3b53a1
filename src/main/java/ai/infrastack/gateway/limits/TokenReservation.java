package ai.infrastack.gateway.limits;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The token estimate a request holds in its key's window from admission until its real usage is
 * known; settled exactly once — by the charging step after the answer, or, for a request that
 * ended without one, released when the exchange completes.
 */
public final class TokenReservation {
    private final String key;
    private final HourlyLimits limits;
    private final long bucket;
    private final long tokens;
    private final AtomicBoolean settled = new AtomicBoolean();

    TokenReservation(String key, HourlyLimits limits, long bucket, long tokens) {
        this.key = key;
        this.limits = limits;
        this.bucket = bucket;
        this.tokens = tokens;
    }

    String key() { return key; }
    HourlyLimits limits() { return limits; }
    long bucket() { return bucket; }
    long tokens() { return tokens; }

    /** True for the one caller that settles it. */
    boolean claim() {
        return settled.compareAndSet(false, true);
    }
}
