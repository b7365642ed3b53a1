package ai.infrastack.gateway.limits;

import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Rate limits through the real HTTP API, in-process counters (no REDIS_URL): the spec's free tier
 * refuses the 101st request of the hour with 429 and Retry-After; every answer — unary, streamed,
 * refused, invalid — carries the six headers, which count down; the token window is charged with
 * each answer's real usage; a key's own limits from the admin API apply.
 */
class RateLimitsEndToEndTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> HEADERS = List.of("X-RateLimit-Limit-Requests", "X-RateLimit-Remaining-Requests",
            "X-RateLimit-Reset-Requests", "X-RateLimit-Limit-Tokens", "X-RateLimit-Remaining-Tokens", "X-RateLimit-Reset-Tokens");
    private static final String FREE_KEY = "sk-limits-free-hundred-0001";
    private static final String COUNTDOWN_KEY = "sk-limits-free-countdown-0002";
    private static final String INVALID_KEY = "sk-limits-free-invalid-0003";
    private static final String SMALL_TOKENS_KEY = "sk-limits-small-tokens-0004";
    private static RunningGateway gateway;

    @BeforeAll
    static void start() {
        gateway = RunningGateway.start(Map.of("gateway.auth.keys-file", keysFile(
                "key: " + FREE_KEY + ", tier: free",
                "key: " + COUNTDOWN_KEY + ", tier: free",
                "key: " + INVALID_KEY + ", tier: free",
                "key: " + SMALL_TOKENS_KEY + ", tier: pro, limits: {tokens_per_hour: 300}").toString()));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void the_101st_request_of_a_free_key_within_the_hour_is_a_429_with_the_six_headers_and_retry_after() {
        long before = System.currentTimeMillis() / 1000;
        for (int i = 1; i <= 100; i++) {
            HttpResponse<String> r = chat(gateway, FREE_KEY, false);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("100", header(r, "X-RateLimit-Limit-Requests"));
            assertEquals(String.valueOf(100 - i), header(r, "X-RateLimit-Remaining-Requests"), "request " + i);
        }
        HttpResponse<String> refused = chat(gateway, FREE_KEY, false);
        assertEquals(429, refused.statusCode(), refused.body());
        JsonNode error = json(refused).path("error");
        assertEquals("rate_limit_error", error.path("type").asText());
        assertEquals("rate_limit_exceeded", error.path("code").asText());
        HEADERS.forEach(h -> assertTrue(refused.headers().firstValue(h).isPresent(), h + " on the 429"));
        assertEquals("0", header(refused, "X-RateLimit-Remaining-Requests"));
        assertEquals("50000", header(refused, "X-RateLimit-Limit-Tokens"));
        long retryAfter = Long.parseLong(header(refused, "Retry-After"));
        long reset = Long.parseLong(header(refused, "X-RateLimit-Reset-Requests"));
        // the first request leaves the window an hour (and at most a minute) after it was made
        assertTrue(reset >= before + 3600 && reset <= before + 3600 + 61 + 60, "reset " + reset + " vs start " + before);
        assertTrue(retryAfter > 3500 && retryAfter <= 3661 + 60, "Retry-After " + retryAfter);
        assertEquals(429, chat(gateway, FREE_KEY, true).statusCode(), "a stream is refused too");
    }

    @Test
    void headers_count_down_on_unary_and_streamed_answers_and_tokens_are_charged_with_the_real_usage() {
        HttpResponse<String> first = chat(gateway, COUNTDOWN_KEY, false);
        assertEquals(200, first.statusCode(), first.body());
        long used1 = json(first).path("usage").path("total_tokens").asLong();
        assertTrue(used1 > 0);
        assertEquals("99", header(first, "X-RateLimit-Remaining-Requests"));
        assertEquals(String.valueOf(50_000 - used1), header(first, "X-RateLimit-Remaining-Tokens"),
                "a unary answer's headers show the window charged with its real usage");

        HttpResponse<String> streamed = chat(gateway, COUNTDOWN_KEY, true);
        assertEquals(200, streamed.statusCode(), streamed.body());
        assertEquals("text/event-stream", streamed.headers().firstValue("Content-Type").orElse("").split(";")[0]);
        HEADERS.forEach(h -> assertTrue(streamed.headers().firstValue(h).isPresent(), h + " on the stream"));
        assertEquals("98", header(streamed, "X-RateLimit-Remaining-Requests"));
        long remainingAtStart = Long.parseLong(header(streamed, "X-RateLimit-Remaining-Tokens"));
        assertTrue(remainingAtStart < 50_000 - used1, "the stream's estimate is held while it runs");
        long used2 = lastUsage(streamed.body()).path("total_tokens").asLong();
        assertTrue(used2 > 0);

        HttpResponse<String> third = chat(gateway, COUNTDOWN_KEY, false);
        long used3 = json(third).path("usage").path("total_tokens").asLong();
        assertEquals("97", header(third, "X-RateLimit-Remaining-Requests"));
        assertEquals(String.valueOf(50_000 - used1 - used2 - used3), header(third, "X-RateLimit-Remaining-Tokens"),
                "the stream was charged its real usage when it ended, not its estimate");
    }

    @Test
    void an_invalid_request_is_not_counted_but_still_carries_the_headers() {
        HttpResponse<String> invalid = gateway.post("/chat/completions", "{\"model\": \"gpt-4o-mini\"}", INVALID_KEY);
        assertEquals(400, invalid.statusCode(), invalid.body());
        assertEquals("100", header(invalid, "X-RateLimit-Remaining-Requests"));
        assertEquals("99", header(chat(gateway, INVALID_KEY, false), "X-RateLimit-Remaining-Requests"));
        HttpResponse<String> invalidAgain = gateway.post("/chat/completions", "{\"model\": \"gpt-4o-mini\"}", INVALID_KEY);
        assertEquals("99", header(invalidAgain, "X-RateLimit-Remaining-Requests"));
    }

    @Test
    void a_token_limit_refuses_what_the_estimate_cannot_fit_and_then_what_real_usage_used_up() {
        HttpResponse<String> tooLarge = gateway.post("/chat/completions",
                "{\"model\": \"gpt-4o-mini\", \"max_tokens\": 1000, \"messages\": [{\"role\": \"user\", \"content\": \"hello\"}]}",
                SMALL_TOKENS_KEY);
        assertEquals(429, tooLarge.statusCode(), tooLarge.body());
        assertEquals("request_too_large", json(tooLarge).path("error").path("code").asText());
        assertEquals("300", header(tooLarge, "X-RateLimit-Remaining-Tokens"), "a refused estimate holds nothing");
        assertEquals("1000", header(tooLarge, "X-RateLimit-Limit-Requests"), "the pro tier's request limit");

        long used = 0;
        HttpResponse<String> r;
        while ((r = chat(gateway, SMALL_TOKENS_KEY, false)).statusCode() == 200) {
            used += json(r).path("usage").path("total_tokens").asLong();
            assertEquals(String.valueOf(Math.max(0, 300 - used)), header(r, "X-RateLimit-Remaining-Tokens"));
            assertTrue(used < 300 + 200, "refused once the real usage reached the limit");
        }
        assertEquals(429, r.statusCode(), r.body());
        assertEquals("rate_limit_exceeded", json(r).path("error").path("code").asText());
        assertTrue(r.headers().firstValue("Retry-After").isPresent());
        assertTrue(json(r).path("error").path("message").asText().contains("300 tokens per hour"), r.body());
    }

    @Test
    void a_key_created_with_its_own_limits_by_the_admin_api_is_held_to_them() {
        HttpResponse<String> created = gateway.post("/keys",
                "{\"tier\": \"enterprise\", \"limits\": {\"requests_per_hour\": 2, \"tokens_per_hour\": 1000000}}",
                RunningGateway.MASTER_KEY);
        assertEquals(201, created.statusCode(), created.body());
        String key = json(created).path("key").asText();
        assertEquals("1", header(chat(gateway, key, false), "X-RateLimit-Remaining-Requests"));
        HttpResponse<String> second = chat(gateway, key, true);
        assertEquals("0", header(second, "X-RateLimit-Remaining-Requests"));
        assertEquals("1000000", header(second, "X-RateLimit-Limit-Tokens"));
        assertEquals(429, chat(gateway, key, false).statusCode());
    }

    @Test
    void the_master_key_is_not_limited() {
        HttpResponse<String> r = chat(gateway, RunningGateway.MASTER_KEY, false);
        assertEquals(200, r.statusCode());
        assertFalse(r.headers().firstValue("X-RateLimit-Limit-Requests").isPresent());
    }

    // ---- helpers shared with the other rate-limit tests ----

    static HttpResponse<String> chat(RunningGateway gateway, String key, boolean stream) {
        return gateway.post("/chat/completions", "{\"model\": \"gpt-4o-mini\", \"stream\": " + stream
                + ", \"messages\": [{\"role\": \"user\", \"content\": \"Say hello to the rate limiter\"}]}", key);
    }

    static String header(HttpResponse<String> r, String name) {
        return r.headers().firstValue(name).orElseThrow(() -> new AssertionError("no " + name + " on " + r.statusCode() + " " + r.body()));
    }

    static JsonNode json(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(r.body(), e);
        }
    }

    /** The usage object of a stream's last chunk that has one. */
    static JsonNode lastUsage(String sse) {
        JsonNode usage = null;
        for (String line : sse.split("\n")) {
            if (line.startsWith("data: {")) {
                try {
                    JsonNode chunk = JSON.readTree(line.substring(6));
                    if (chunk.has("usage")) {
                        usage = chunk.get("usage");
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        if (usage == null) {
            throw new AssertionError("no usage in the stream: " + sse);
        }
        return usage;
    }

    /** A keys file with one key per entry, each the inside of a YAML flow mapping ({@code key: ..., tier: ...}). */
    static Path keysFile(String... keys) {
        StringBuilder yaml = new StringBuilder("keys:\n");
        for (String k : keys) {
            yaml.append("  - {").append(k).append("}\n");
        }
        try {
            Path file = Files.createTempFile("limits-keys", ".yaml");
            file.toFile().deleteOnExit();
            Files.writeString(file, yaml);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
