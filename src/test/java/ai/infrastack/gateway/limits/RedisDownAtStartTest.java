package ai.infrastack.gateway.limits;

import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.util.Map;

import static ai.infrastack.gateway.limits.RateLimitsEndToEndTest.chat;
import static ai.infrastack.gateway.limits.RateLimitsEndToEndTest.header;
import static ai.infrastack.gateway.limits.RateLimitsEndToEndTest.json;
import static ai.infrastack.gateway.limits.RateLimitsEndToEndTest.keysFile;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A gateway whose Redis is not there when it starts serves on local counters, and health says so from the start. */
class RedisDownAtStartTest {
    private static final String KEY = "sk-redis-down-at-start-0001";

    @Test
    void serves_on_local_counters_and_reports_redis_down_before_any_request() {
        int nobody;
        try (ServerSocket s = new ServerSocket(0)) {
            nobody = s.getLocalPort(); // closed again: nothing listens there
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (RunningGateway gateway = RunningGateway.start(Map.of("gateway.redis.url", "redis://127.0.0.1:" + nobody,
                "gateway.auth.keys-file", keysFile("key: " + KEY + ", tier: free").toString()))) {
            JsonNode health = json(gateway.get("/health", null));
            assertEquals("down", health.path("redis").path("status").asText(), health.toString());
            assertEquals("local", health.path("redis").path("rate_limits").asText());
            assertEquals("degraded", health.path("status").asText());
            HttpResponse<String> r = chat(gateway, KEY, false);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("99", header(r, "X-RateLimit-Remaining-Requests"));
        }
    }
}
