package ai.infrastack.gateway.limits;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.exceptions.JedisException;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The shared store while Redis answers, this instance's own counters while it does not. Serving
 * on local counters is the chosen failure mode: a Redis outage must not take the API down, and
 * each instance still enforces the limit on its own (so N instances allow at most N times it
 * until Redis is back). The switch is logged once each way and shown by health. While Redis is
 * down, one call a second tries it again; the others go straight to the local counters and do not
 * wait for a connection timeout. When Redis answers again, what this instance counted meanwhile is
 * added to it.
 */
public final class FailoverWindowStore implements WindowStore {
    private static final Logger LOG = LoggerFactory.getLogger(FailoverWindowStore.class);
    private static final long PROBE_INTERVAL_NANOS = 1_000_000_000L;

    private final RedisWindowStore shared;
    private final LocalWindowStore local;
    private final String where;
    private final Clock clock;
    private final AtomicBoolean sharedDown = new AtomicBoolean();
    private volatile long nextProbeNanos = System.nanoTime();

    public FailoverWindowStore(RedisWindowStore shared, LocalWindowStore local, String where, Clock clock) {
        this.shared = shared;
        this.local = local;
        this.where = where;
        this.clock = clock;
    }

    /** True while counting falls back on this instance's counters. */
    public boolean sharedDown() {
        return sharedDown.get();
    }

    /** Finds out now whether Redis answers (at start-up), so health does not report it up before the first request. */
    public void probe() {
        long now = clock.millis();
        either(() -> shared.peek("probe", now), () -> null);
    }

    @Override
    public Admission admit(String key, HourlyLimits limits, long tokens, long nowMillis) {
        return either(() -> shared.admit(key, limits, tokens, nowMillis), () -> local.admit(key, limits, tokens, nowMillis));
    }

    @Override
    public WindowCounts settle(String key, long reservedBucket, long reserved, long actual, long nowMillis) {
        return either(() -> shared.settle(key, reservedBucket, reserved, actual, nowMillis),
                () -> local.settle(key, reservedBucket, reserved, actual, nowMillis));
    }

    @Override
    public WindowCounts peek(String key, long nowMillis) {
        return either(() -> shared.peek(key, nowMillis), () -> local.peek(key, nowMillis));
    }

    private <T> T either(Supplier<T> onShared, Supplier<T> onLocal) {
        if (sharedDown.get()) {
            long now = System.nanoTime();
            long probeAt = nextProbeNanos;
            if (now - probeAt < 0) {
                return onLocal.get();
            }
            nextProbeNanos = now + PROBE_INTERVAL_NANOS;
        }
        try {
            T answer = onShared.get();
            if (sharedDown.compareAndSet(true, false)) {
                int keys = mergeLocalUsage();
                LOG.info("Rate limits: Redis at {} reachable again; counting is shared across instances again"
                        + " (usage of {} key(s) counted here meanwhile added to it)", where, keys);
            }
            return answer;
        } catch (JedisException e) {
            if (sharedDown.compareAndSet(false, true)) {
                nextProbeNanos = System.nanoTime() + PROBE_INTERVAL_NANOS;
                LOG.warn("Rate limits: Redis at {} unreachable ({}); counting on this instance only until it is back",
                        where, e.getMessage());
            }
            return onLocal.get();
        }
    }

    /**
     * What this instance counted while Redis was unreachable goes into Redis, so the window there
     * holds it too (a request counted locally at the very moment of the switch may be missed).
     */
    private int mergeLocalUsage() {
        Map<String, WindowCounts> counted = local.drain();
        long now = clock.millis();
        try {
            counted.forEach((key, counts) -> shared.merge(key, counts, now));
        } catch (JedisException e) {
            LOG.warn("Rate limits: usage counted during the Redis outage could not be added to it ({})", e.getMessage());
        }
        return counted.size();
    }
}
