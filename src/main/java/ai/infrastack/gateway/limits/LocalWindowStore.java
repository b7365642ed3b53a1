package ai.infrastack.gateway.limits;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The windows of one instance, in memory: the store without {@code REDIS_URL}, and the one the
 * shared store falls back on while Redis is unreachable. A key untouched for longer than its
 * newest bucket is counted is forgotten.
 */
public final class LocalWindowStore implements WindowStore {
    private final WindowGeometry geometry;
    private final Cache<String, Buckets> keys;

    public LocalWindowStore(WindowGeometry geometry) {
        this.geometry = geometry;
        // Upkeep on the caller's thread, not a hand-off to the common pool per expiry.
        this.keys = Caffeine.newBuilder().executor(Runnable::run).expireAfterAccess(Duration.ofSeconds(geometry.ttlSeconds())).build();
    }

    /** One key's buckets; every use holds its lock, which makes each call atomic per key. */
    private static final class Buckets {
        final TreeMap<Long, Long> requests = new TreeMap<>();
        final TreeMap<Long, Long> tokens = new TreeMap<>();

        void dropBefore(long oldest) {
            requests.headMap(oldest).clear();
            tokens.headMap(oldest).clear();
        }

        WindowCounts snapshot() {
            return new WindowCounts(new TreeMap<>(requests), new TreeMap<>(tokens));
        }
    }

    @Override
    public Admission admit(String key, HourlyLimits limits, long tokens, long nowMillis) {
        long now = geometry.bucketAt(nowMillis);
        Buckets b = keys.get(key, k -> new Buckets());
        synchronized (b) {
            b.dropBefore(geometry.oldestCounted(now));
            boolean admitted = WindowCounts.sum(b.requests) + 1 <= limits.requests()
                    && WindowCounts.sum(b.tokens) + tokens <= limits.tokens();
            if (admitted) {
                b.requests.merge(now, 1L, Long::sum);
                if (tokens > 0) {
                    b.tokens.merge(now, tokens, Long::sum);
                }
            }
            return new Admission(admitted, now, b.snapshot());
        }
    }

    @Override
    public WindowCounts settle(String key, long reservedBucket, long reserved, long actual, long nowMillis) {
        long now = geometry.bucketAt(nowMillis);
        Buckets b = keys.get(key, k -> new Buckets());
        synchronized (b) {
            b.dropBefore(geometry.oldestCounted(now));
            if (reserved > 0) {
                b.tokens.computeIfPresent(reservedBucket, (k, v) -> v - reserved > 0 ? v - reserved : null);
            }
            if (actual > 0) {
                b.tokens.merge(now, actual, Long::sum);
            }
            return b.snapshot();
        }
    }

    /** Takes every key's usage out of this store: what it counted, for another store to count. */
    public Map<String, WindowCounts> drain() {
        Map<String, WindowCounts> out = new HashMap<>();
        for (String key : keys.asMap().keySet()) {
            Buckets b = keys.asMap().remove(key);
            if (b != null) {
                synchronized (b) {
                    out.put(key, b.snapshot());
                }
            }
        }
        return out;
    }

    @Override
    public WindowCounts peek(String key, long nowMillis) {
        Buckets b = keys.getIfPresent(key);
        if (b == null) {
            return WindowCounts.empty();
        }
        synchronized (b) {
            b.dropBefore(geometry.oldestCounted(geometry.bucketAt(nowMillis)));
            return b.snapshot();
        }
    }
}
