package ai.infrastack.gateway.limits;

import ai.infrastack.gateway.support.LogCapture;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static ai.infrastack.gateway.limits.RateLimitsEndToEndTest.chat;
import static ai.infrastack.gateway.limits.RateLimitsEndToEndTest.header;
import static ai.infrastack.gateway.limits.RateLimitsEndToEndTest.json;
import static ai.infrastack.gateway.limits.RateLimitsEndToEndTest.keysFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two gateway instances sharing one Redis enforce one limit; with that Redis stopped they keep
 * serving on their own counters, say so in health and in the log (once), and count together again
 * once it is back, with what each counted meanwhile added to it. The Redis is this test's own ({@code redis-server} on a free port, nothing kept
 * on disk), so stopping it touches nobody else's.
 */
class SharedRateLimitsTest {
    private static final String FREE_KEY = "sk-shared-free-key-0001";
    private static final String OUTAGE_KEY = "sk-shared-outage-key-0002";
    private static final String AFTER_KEY = "sk-shared-after-key-0003";
    private static final String DURING_KEY = "sk-shared-during-key-0004";

    private int port;
    private Process redis;
    private RunningGateway a;
    private RunningGateway b;

    @BeforeEach
    void start() {
        port = freePort();
        redis = startRedis(port);
        Path keys = keysFile("key: " + FREE_KEY + ", tier: free", "key: " + OUTAGE_KEY + ", tier: free",
                "key: " + AFTER_KEY + ", tier: free", "key: " + DURING_KEY + ", tier: free");
        Map<String, String> settings = Map.of("gateway.redis.url", "redis://127.0.0.1:" + port,
                "gateway.limits.redis-prefix", "test:" + UUID.randomUUID() + ":",
                "gateway.auth.keys-file", keys.toString());
        a = RunningGateway.start(settings);
        b = RunningGateway.start(settings);
    }

    @AfterEach
    void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        stopRedis();
    }

    @Test
    void a_free_keys_hundred_requests_spread_over_two_instances_leave_the_101st_refused_by_either() {
        for (int i = 1; i <= 100; i++) {
            HttpResponse<String> r = chat(i % 2 == 0 ? a : b, FREE_KEY, i % 3 == 0);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(String.valueOf(100 - i), header(r, "X-RateLimit-Remaining-Requests"), "request " + i);
        }
        for (RunningGateway either : new RunningGateway[] {a, b}) {
            HttpResponse<String> refused = chat(either, FREE_KEY, false);
            assertEquals(429, refused.statusCode(), refused.body());
            assertEquals("rate_limit_error", json(refused).path("error").path("type").asText());
            assertTrue(refused.headers().firstValue("Retry-After").isPresent());
        }
        assertEquals("shared", health(a).path("redis").path("rate_limits").asText());
    }

    @Test
    void with_redis_stopped_mid_run_requests_keep_being_served_and_shared_counting_resumes_when_it_is_back() {
        for (int i = 1; i <= 4; i++) {
            assertEquals(200, chat(i % 2 == 0 ? a : b, OUTAGE_KEY, false).statusCode());
        }
        JsonNode up = health(a).path("redis");
        assertEquals("up", up.path("status").asText());

        try (LogCapture log = LogCapture.attach()) {
            stopRedis();
            for (int i = 1; i <= 10; i++) {
                HttpResponse<String> r = chat(i % 2 == 0 ? a : b, OUTAGE_KEY, i % 2 == 0);
                assertEquals(200, r.statusCode(), "served while Redis is down: " + r.body());
                assertTrue(r.headers().firstValue("X-RateLimit-Remaining-Requests").isPresent(), "on local counters");
            }
            for (int i = 1; i <= 5; i++) {
                assertEquals(200, chat(i <= 3 ? a : b, DURING_KEY, false).statusCode());
            }
            JsonNode health = health(a);
            assertEquals("degraded", health.path("status").asText());
            assertEquals("down", health.path("redis").path("status").asText());
            assertEquals("local", health.path("redis").path("rate_limits").asText());
            long warnings = log.lines().stream().filter(l -> l.contains("Redis at") && l.contains("unreachable")).count();
            assertEquals(2, warnings, "logged once by each instance: " + log.lines());
            assertTrue(log.lines().stream().noneMatch(l -> l.contains("Redis at") && l.contains("reachable again")));
        }

        redis = startRedis(port);
        // Each instance tries Redis again at most once a second; the next calls after that count there.
        awaitShared(a);
        awaitShared(b);
        HttpResponse<String> first = chat(a, AFTER_KEY, false);
        HttpResponse<String> second = chat(b, AFTER_KEY, false);
        assertEquals("99", header(first, "X-RateLimit-Remaining-Requests"));
        assertEquals("98", header(second, "X-RateLimit-Remaining-Requests"), "counted together again");
        assertEquals("94", header(chat(b, DURING_KEY, false), "X-RateLimit-Remaining-Requests"),
                "what both instances counted during the outage (3 + 2) was added to Redis when it came back");
        assertEquals("up", health(b).path("redis").path("status").asText());
    }

    private void awaitShared(RunningGateway gateway) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!"shared".equals(health(gateway).path("redis").path("rate_limits").asText())) {
            assertTrue(System.nanoTime() < deadline, "rate limits did not go back to Redis");
            // Any limited request makes the instance try Redis again once its probe interval passed.
            assertEquals(200, chat(gateway, OUTAGE_KEY, false).statusCode());
            sleepQuietly();
        }
    }

    private static JsonNode health(RunningGateway gateway) {
        return json(gateway.get("/health", null));
    }

    private static Process startRedis(int port) {
        try {
            Process p = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    return p;
                } catch (IOException notYet) {
                    if (System.nanoTime() > deadline || !p.isAlive()) {
                        p.destroyForcibly();
                        throw new IllegalStateException("redis-server did not start on port " + port);
                    }
                    sleepQuietly();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run redis-server", e);
        }
    }

    private void stopRedis() {
        if (redis != null) {
            redis.destroyForcibly();
            try {
                redis.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            redis = null;
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
