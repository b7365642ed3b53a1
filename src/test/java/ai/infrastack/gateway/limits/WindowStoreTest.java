package ai.infrastack.gateway.limits;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import redis.clients.jedis.RedisClient;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rolling window's rules, the same for the in-process store and the Redis script (on the
 * machine's Redis, under a prefix of this test's own): admission up to the limit and not one
 * more, even when the requests race; usage leaves the window an hour (plus at most one bucket)
 * after it happened; a reservation is replaced by the real usage.
 */
class WindowStoreTest {
    private static final WindowGeometry MINUTES = WindowGeometry.hourOf(60);
    private static final long T0 = 1_800_000_000_000L; // a bucket boundary
    private static final long MINUTE = 60_000;
    private static RedisClient redis;

    enum Kind { LOCAL, REDIS }

    @BeforeAll
    static void connect() {
        redis = RedisClient.create("redis://127.0.0.1:6379");
    }

    @AfterAll
    static void disconnect() {
        redis.close();
    }

    private static WindowStore store(Kind kind) {
        return kind == Kind.LOCAL ? new LocalWindowStore(MINUTES)
                : new RedisWindowStore(redis, "test:rl:" + UUID.randomUUID() + ":", MINUTES);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void admits_up_to_the_request_limit_and_refuses_the_next_without_counting_it(Kind kind) {
        WindowStore store = store(kind);
        HourlyLimits limits = new HourlyLimits(3, 1000);
        for (int i = 1; i <= 3; i++) {
            Admission a = store.admit("k", limits, 10, T0 + i);
            assertTrue(a.admitted(), "request " + i);
            assertEquals(i, a.counts().requestsUsed());
            assertEquals(10L * i, a.counts().tokensUsed());
        }
        Admission refused = store.admit("k", limits, 10, T0 + 4);
        assertFalse(refused.admitted());
        assertEquals(3, refused.counts().requestsUsed(), "a refused request is not counted");
        assertEquals(30, refused.counts().tokensUsed(), "nor are its tokens");
        assertTrue(store.admit("other", limits, 10, T0 + 5).admitted(), "another key has its own window");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void refuses_a_request_whose_token_estimate_does_not_fit(Kind kind) {
        WindowStore store = store(kind);
        HourlyLimits limits = new HourlyLimits(100, 1000);
        assertTrue(store.admit("k", limits, 900, T0).admitted());
        assertFalse(store.admit("k", limits, 101, T0 + 1).admitted());
        assertTrue(store.admit("k", limits, 100, T0 + 2).admitted(), "exactly the limit fits");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void usage_is_counted_for_the_whole_hour_and_at_most_one_bucket_longer(Kind kind) {
        WindowStore store = store(kind);
        HourlyLimits limits = new HourlyLimits(1, 1000);
        assertTrue(store.admit("k", limits, 0, T0 + 30_000).admitted()); // half-way into bucket 0
        assertFalse(store.admit("k", limits, 0, T0 + 60 * MINUTE + 29_999).admitted(), "still within the hour");
        assertFalse(store.admit("k", limits, 0, T0 + 60 * MINUTE + 59_999).admitted(), "the bucket's extra minute");
        assertTrue(store.admit("k", limits, 0, T0 + 61 * MINUTE).admitted(), "the bucket has left the window");
        assertEquals(1, store.peek("k", T0 + 61 * MINUTE).requestsUsed());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void settling_replaces_the_estimate_by_the_real_usage(Kind kind) {
        WindowStore store = store(kind);
        HourlyLimits limits = new HourlyLimits(100, 1000);
        Admission a = store.admit("k", limits, 400, T0);
        WindowCounts after = store.settle("k", a.bucket(), 400, 55, T0 + 2 * MINUTE);
        assertEquals(55, after.tokensUsed());
        assertEquals(1, after.requestsUsed());
        assertEquals(55, store.peek("k", T0 + 3 * MINUTE).tokensUsed());
        // the real usage is counted when it happened: it leaves the window with its own bucket
        assertEquals(0, store.peek("k", T0 + 63 * MINUTE).tokensUsed());
        WindowCounts released = store.settle("k", store.admit("k", limits, 300, T0 + 64 * MINUTE).bucket(), 300, 0,
                T0 + 64 * MINUTE);
        assertEquals(0, released.tokensUsed(), "a request that used nothing gives its whole reservation back");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void racing_requests_never_take_more_than_the_limit(Kind kind) throws Exception {
        WindowStore store = store(kind);
        HourlyLimits limits = new HourlyLimits(100, 1_000_000);
        List<Callable<Boolean>> calls = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            calls.add(() -> store.admit("k", limits, 1, T0).admitted());
        }
        int admitted = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            for (Future<Boolean> f : pool.invokeAll(calls)) {
                admitted += f.get() ? 1 : 0;
            }
        }
        assertEquals(100, admitted);
        assertEquals(100, store.peek("k", T0).requestsUsed());
    }

    @org.junit.jupiter.api.Test
    void usage_counted_locally_during_an_outage_is_added_to_redis_when_it_is_back() {
        RedisWindowStore shared = (RedisWindowStore) store(Kind.REDIS);
        LocalWindowStore local = new LocalWindowStore(MINUTES);
        HourlyLimits limits = new HourlyLimits(10, 1000);
        assertTrue(shared.admit("k", limits, 100, T0).admitted());
        local.admit("k", limits, 50, T0 + MINUTE);
        local.admit("k", limits, 50, T0 + 2 * MINUTE);
        local.admit("other", limits, 7, T0 + 2 * MINUTE);
        java.util.Map<String, WindowCounts> drained = local.drain();
        assertEquals(java.util.Set.of("k", "other"), drained.keySet());
        assertEquals(0, local.peek("k", T0 + 2 * MINUTE).requestsUsed(), "drained: counted once, in Redis");
        drained.forEach((key, counts) -> shared.merge(key, counts, T0 + 3 * MINUTE));
        WindowCounts merged = shared.peek("k", T0 + 3 * MINUTE);
        assertEquals(3, merged.requestsUsed());
        assertEquals(200, merged.tokensUsed());
        assertEquals(7, shared.peek("other", T0 + 3 * MINUTE).tokensUsed());
        assertEquals(2, shared.peek("k", T0 + 61 * MINUTE).requestsUsed(), "merged usage keeps the minute it happened in");
    }
}
