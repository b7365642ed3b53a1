package ai.infrastack.gateway.cache;

import ai.infrastack.gateway.core.Usage;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Redis store against the real Redis (127.0.0.1:6379), and against none. */
class RedisAnswerStoreTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static CachedAnswer answer() throws IOException {
        return new CachedAnswer((ArrayNode) JSON.readTree("""
                [{"index":0,"message":{"role":"assistant","content":"Paris"},"finish_reason":"stop"}]"""),
                new Usage(12, 0, 0, 3, 0, false), "gpt-4o-mini");
    }

    @Test
    void keeps_an_answer_for_the_ttl_and_reads_it_back() throws IOException {
        String key = "test-cache-store-" + UUID.randomUUID();
        try (RedisClient redis = RedisClient.create("redis://127.0.0.1:6379")) {
            RedisAnswerStore store = new RedisAnswerStore(redis, JSON, Duration.ofSeconds(60), new RedisOutage(60_000));
            assertTrue(store.find(key).isEmpty());
            store.put(key, answer());
            CachedAnswer back = store.find(key).orElseThrow();
            assertEquals(answer().choices(), back.choices());
            assertEquals(answer().usage(), back.usage());
            long ttl = redis.ttl(key);
            assertTrue(ttl > 0 && ttl <= 60, "expires: " + ttl);
            redis.del(key);
        }
    }

    @Test
    void an_unreachable_redis_is_a_miss_and_is_then_left_alone_for_the_retry_interval() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        try (RedisClient redis = RedisClient.create("redis://127.0.0.1:" + closed)) {
            RedisOutage outage = new RedisOutage(60_000);
            RedisAnswerStore store = new RedisAnswerStore(redis, JSON, Duration.ofSeconds(60), outage);
            assertTrue(store.find("k").isEmpty(), "a miss, not an exception");
            assertEquals(1, outage.failures());
            store.put("k", answer());
            assertTrue(store.find("k").isEmpty());
            assertEquals(1, outage.failures(), "Redis was not asked again while believed down");
        }
    }
}
