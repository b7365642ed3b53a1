package ai.infrastack.gateway.cache;

import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static ai.infrastack.gateway.cache.ResponseCacheTest.KEY_A;
import static ai.infrastack.gateway.cache.ResponseCacheTest.KEY_B;
import static ai.infrastack.gateway.cache.ResponseCacheTest.chat;
import static ai.infrastack.gateway.cache.ResponseCacheTest.deterministic;
import static ai.infrastack.gateway.cache.ResponseCacheTest.ok;
import static ai.infrastack.gateway.cache.ResponseCacheTest.upstreamCalls;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The response cache in Redis (REDIS_URL, on 127.0.0.1:6379): two gateway instances share answers,
 * and an unreachable Redis makes misses, never failed requests. Keys carry a prefix of this run's
 * own, so parallel runs never meet, and are deleted afterwards.
 */
class SharedResponseCacheTest {
    private static final String REDIS = "redis://127.0.0.1:6379";
    private static final String PREFIX = "test-cache-" + UUID.randomUUID() + ":";

    private static Path keysFile;
    private static RunningGateway first;
    private static RunningGateway second;

    @BeforeAll
    static void start() throws IOException {
        keysFile = ResponseCacheTest.keysFile();
        Map<String, String> shared = Map.of(
                "gateway.auth.keys-file", keysFile.toString(),
                "gateway.redis.url", REDIS,
                "gateway.cache.key-prefix", PREFIX,
                "gateway.router.cache-ttl-seconds", "300");
        first = RunningGateway.start(shared);
        second = RunningGateway.start(shared);
    }

    @AfterAll
    static void stop() throws IOException {
        first.close();
        second.close();
        Files.deleteIfExists(keysFile);
        try (RedisClient redis = RedisClient.create(REDIS)) {
            String cursor = ScanParams.SCAN_POINTER_START;
            do {
                ScanResult<String> page = redis.scan(cursor, new ScanParams().match(PREFIX + "*").count(500));
                page.getResult().forEach(redis::del);
                cursor = page.getCursor();
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        }
    }

    @Test
    void two_instances_sharing_redis_share_hits_within_a_project() throws Exception {
        String question = "Which planet is largest? " + UUID.randomUUID();
        JsonNode miss = ok(chat(first, KEY_A, deterministic(question)));
        assertEquals(1, upstreamCalls(first, question));

        JsonNode hit = ok(chat(second, KEY_A, deterministic(question)));
        assertTrue(hit.path("routing").path("cache_hit").asBoolean(), "the other instance answers from the shared cache: " + hit);
        assertEquals(0, upstreamCalls(second, question), "and calls no vendor");
        assertEquals(miss.path("choices"), hit.path("choices"));
        assertEquals(miss.path("cost").path("total_cost").decimalValue(), hit.path("cost").path("cache_savings").decimalValue());
        assertEquals(BigDecimal.ZERO, hit.path("cost").path("total_cost").decimalValue().stripTrailingZeros().abs());

        JsonNode otherProject = ok(chat(second, KEY_B, deterministic(question)));
        assertFalse(otherProject.path("routing").path("cache_hit").asBoolean(true), "another project's identical request is a miss");
        assertEquals(1, upstreamCalls(second, question));
    }

    @Test
    void an_identical_miss_on_another_instance_waits_for_the_first_instances_call() throws Exception {
        String hold = "cache-shared-flight-" + UUID.randomUUID();
        String question = "Forecast tomorrow. [sandbox:hold=" + hold + "] " + UUID.randomUUID();
        SingleFlight secondFlights = ResponseCacheTest.flights(second);
        int waitingBefore = secondFlights.waiting();

        CompletableFuture<HttpResponse<String>> leader = ResponseCacheTest.chatAsync(first, KEY_A, deterministic(question));
        ResponseCacheTest.awaitCondition(() -> upstreamCalls(first, question) == 1, () -> "the first call never reached the vendor");
        CompletableFuture<HttpResponse<String>> follower = ResponseCacheTest.chatAsync(second, KEY_A, deterministic(question));
        ResponseCacheTest.awaitCondition(() -> secondFlights.waiting() - waitingBefore == 1,
                () -> "the second instance is not waiting: " + (secondFlights.waiting() - waitingBefore));
        first.sandbox().release(hold);

        JsonNode led = ok(leader.get());
        JsonNode followed = ok(follower.get());
        assertFalse(led.path("routing").path("cache_hit").asBoolean(true));
        assertTrue(followed.path("routing").path("cache_hit").asBoolean(), followed.toString());
        assertEquals(led.path("choices"), followed.path("choices"));
        assertEquals(1, upstreamCalls(first, question));
        assertEquals(0, upstreamCalls(second, question), "the second instance called no vendor");
    }

    @Test
    void the_answer_is_kept_in_redis_under_the_configured_prefix_and_project() {
        String question = "Where is the key? " + UUID.randomUUID();
        assertEquals(200, chat(first, KEY_A, deterministic(question)).statusCode());
        try (RedisClient redis = RedisClient.create(REDIS)) {
            ScanResult<String> keys = redis.scan(ScanParams.SCAN_POINTER_START,
                    new ScanParams().match(PREFIX + "project:proj_a:*").count(10_000));
            assertFalse(keys.getResult().isEmpty(), "a key under " + PREFIX + "project:proj_a:");
            long ttl = redis.ttl(keys.getResult().get(0));
            assertTrue(ttl > 0 && ttl <= 300, "expires after the configured TTL: " + ttl);
        }
    }

    @Test
    void an_unreachable_redis_answers_as_a_miss_and_the_request_succeeds() throws Exception {
        Path keys = ResponseCacheTest.keysFile();
        try (RunningGateway cut = RunningGateway.start(Map.of(
                "gateway.auth.keys-file", keys.toString(),
                "gateway.redis.url", "redis://127.0.0.1:" + closedPort(),
                "gateway.cache.key-prefix", PREFIX))) {
            String question = "Is anyone there? " + UUID.randomUUID();
            ok(chat(cut, KEY_A, deterministic(question)));
            JsonNode again = ok(chat(cut, KEY_A, deterministic(question)));
            assertFalse(again.path("routing").path("cache_hit").asBoolean(true));
            assertEquals(2, upstreamCalls(cut, question), "each request went upstream");
        } finally {
            Files.deleteIfExists(keys);
        }
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
