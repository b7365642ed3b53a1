package ai.infrastack.gateway.cache;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What the cache knows of Redis being down: after a failed call, Redis is left alone for a while, so
 * a Redis that hangs (rather than refusing) costs one timeout, not one per request — meanwhile every
 * lookup is a miss and the calls go upstream. Failures are counted and logged at most once a minute.
 */
final class RedisOutage {
    private static final Logger LOG = LoggerFactory.getLogger(RedisOutage.class);
    private static final long LOG_EVERY_MS = 60_000;

    private final long retryMs;
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong lastLogged = new AtomicLong();
    private volatile long downUntil;

    RedisOutage(long retryMs) {
        this.retryMs = retryMs;
    }

    /** True while Redis is believed down: skip it. */
    boolean skipping() {
        return System.currentTimeMillis() < downUntil;
    }

    void failed(String what, RuntimeException e) {
        failures.incrementAndGet();
        long now = System.currentTimeMillis();
        downUntil = now + retryMs;
        long last = lastLogged.get();
        if (now - last >= LOG_EVERY_MS && lastLogged.compareAndSet(last, now)) {
            LOG.warn("Response cache: Redis {} failed ({}: {}); answering as misses for {} ms. {} failures so far",
                    what, e.getClass().getSimpleName(), e.getMessage(), retryMs, failures.get());
        }
    }

    long failures() {
        return failures.get();
    }
}
