package ai.infrastack.gateway.cache;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.SetParams;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cache gateway instances share (REDIS_URL): one JSON value per key, expiring after the TTL.
 * Redis unreachable or failing means a miss and nothing kept — the call goes upstream; the cache
 * never fails a request. Failures are counted and logged at most once a minute.
 */
final class RedisAnswerStore implements AnswerStore {
    private static final Logger LOG = LoggerFactory.getLogger(RedisAnswerStore.class);
    private static final long LOG_EVERY_MS = 60_000;

    private final RedisClient redis;
    private final ObjectMapper mapper;
    private final long ttlSeconds;
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong lastLogged = new AtomicLong();

    RedisAnswerStore(RedisClient redis, ObjectMapper mapper, Duration ttl) {
        this.redis = redis;
        this.mapper = mapper;
        this.ttlSeconds = Math.max(1, ttl.toSeconds());
    }

    @Override
    public Optional<CachedAnswer> find(String key) {
        try {
            String json = redis.get(key);
            return json == null ? Optional.empty() : Optional.of(CachedAnswer.fromJson(mapper, json));
        } catch (RuntimeException | com.fasterxml.jackson.core.JsonProcessingException e) {
            failed("read", e);
            return Optional.empty();
        }
    }

    @Override
    public void put(String key, CachedAnswer answer) {
        try {
            redis.set(key, answer.toJson(mapper), SetParams.setParams().ex(ttlSeconds));
        } catch (RuntimeException e) {
            failed("write", e);
        }
    }

    long failures() {
        return failures.get();
    }

    private void failed(String what, Exception e) {
        failures.incrementAndGet();
        long now = System.currentTimeMillis();
        long last = lastLogged.get();
        if (now - last >= LOG_EVERY_MS && lastLogged.compareAndSet(last, now)) {
            LOG.warn("Response cache: Redis {} failed ({}); answering as a miss. {} failures so far",
                    what, e.getClass().getSimpleName() + ": " + e.getMessage(), failures.get());
        }
    }
}
