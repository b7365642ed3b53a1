package ai.infrastack.gateway.cache;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.SetParams;

import java.time.Duration;
import java.util.Optional;

/**
 * The cache gateway instances share (REDIS_URL): one JSON value per key, expiring after the TTL.
 * Redis unreachable or failing means a miss and nothing kept — the call goes upstream; the cache
 * never fails a request ({@link RedisOutage}).
 */
final class RedisAnswerStore implements AnswerStore {
    private final RedisClient redis;
    private final ObjectMapper mapper;
    private final long ttlSeconds;
    private final RedisOutage outage;

    RedisAnswerStore(RedisClient redis, ObjectMapper mapper, Duration ttl, RedisOutage outage) {
        this.redis = redis;
        this.mapper = mapper;
        this.ttlSeconds = Math.max(1, ttl.toSeconds());
        this.outage = outage;
    }

    @Override
    public Optional<CachedAnswer> find(String key) {
        if (outage.skipping()) {
            return Optional.empty();
        }
        String json;
        try {
            json = redis.get(key);
        } catch (RuntimeException e) {
            outage.failed("read", e);
            return Optional.empty();
        }
        try {
            return json == null ? Optional.empty() : Optional.of(CachedAnswer.fromJson(mapper, json));
        } catch (JsonProcessingException unreadable) {
            return Optional.empty(); // not an answer this version wrote: a miss, overwritten by the next answer
        }
    }

    @Override
    public void put(String key, CachedAnswer answer) {
        if (outage.skipping()) {
            return;
        }
        try {
            redis.set(key, answer.toJson(mapper), SetParams.setParams().ex(ttlSeconds));
        } catch (RuntimeException e) {
            outage.failed("write", e);
        }
    }
}
