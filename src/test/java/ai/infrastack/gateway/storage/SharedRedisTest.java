package ai.infrastack.gateway.storage;

import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SharedRedisTest {
    @Test
    void withoutAUrlThereIsNoSharedRedis() {
        try (SharedRedis redis = SharedRedis.of(null)) {
            assertFalse(redis.configured());
            assertTrue(redis.client().isEmpty());
        }
    }

    @Test
    void withAUrlItTalksToThatRedis() {
        try (SharedRedis redis = SharedRedis.of("redis://127.0.0.1:6379")) {
            String key = "shared-redis-test:" + UUID.randomUUID();
            redis.client().orElseThrow().setex(key, 10, "v");
            assertEquals("v", redis.client().orElseThrow().get(key));
        }
    }

    @Test
    void credentialsNeverAppearInItsDescription() {
        try (SharedRedis redis = SharedRedis.of("redis://user:s3cret@127.0.0.1:6379/2")) {
            assertEquals("redis://***@127.0.0.1:6379/2", redis.describe());
        }
    }
}
