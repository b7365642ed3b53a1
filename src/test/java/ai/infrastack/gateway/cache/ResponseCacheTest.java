package ai.infrastack.gateway.cache;

import ai.infrastack.gateway.storage.Database;
import ai.infrastack.gateway.support.PrometheusText;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The response cache in one gateway (in process, no REDIS_URL), over real HTTP with the sandbox
 * upstreams, whose request log proves which calls reached a vendor. Every test asks a question of
 * its own (a UUID in the prompt), so tests share the gateway without sharing answers.
 */
class ResponseCacheTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String KEY_A = "sk-test-cache-project-a-0001";
    static final String KEY_A2 = "sk-test-cache-project-a-0002";
    static final String KEY_B = "sk-test-cache-project-b-0003";

    private static Path keysFile;
    private static RunningGateway gateway;

    @BeforeAll
    static void start() throws IOException {
        keysFile = keysFile();
        gateway = RunningGateway.start(Map.of("gateway.auth.keys-file", keysFile.toString()));
    }

    @AfterAll
    static void stop() throws IOException {
        gateway.close();
        Files.deleteIfExists(keysFile);
    }

    static Path keysFile() throws IOException {
        Path file = Files.createTempFile("cache-keys", ".yaml");
        Files.writeString(file, """
                keys:
                  - {key: %s, tier: pro, user_id: u_a, project_id: proj_a}
                  - {key: %s, tier: pro, user_id: u_a2, project_id: proj_a}
                  - {key: %s, tier: pro, user_id: u_b, project_id: proj_b}
                """.formatted(KEY_A, KEY_A2, KEY_B));
        return file;
    }

    @Test
    void the_second_identical_request_is_a_hit_that_saves_the_first_cost_without_an_upstream_call() throws Exception {
        String question = "What is the capital of France? " + UUID.randomUUID();
        double hitsBefore = cacheHits(gateway);

        JsonNode first = ok(chat(gateway, KEY_A, deterministic(question)));
        assertEquals(1, upstreamCalls(gateway, question));
        assertFalse(first.path("routing").path("cache_hit").asBoolean(true), first.toString());
        BigDecimal firstCost = first.path("cost").path("total_cost").decimalValue();
        assertTrue(firstCost.signum() > 0, "the first call costs something: " + first);

        JsonNode second = ok(chat(gateway, KEY_A, deterministic(question)));
        assertEquals(1, upstreamCalls(gateway, question), "the hit made no upstream call");
        assertTrue(second.path("routing").path("cache_hit").asBoolean(), second.toString());
        assertEquals(first.path("choices"), second.path("choices"), "the same answer");
        assertEquals(first.path("usage").path("total_tokens"), second.path("usage").path("total_tokens"));
        assertEquals(second.path("usage").path("total_tokens").asLong(), second.path("usage").path("cache_hit_tokens").asLong(),
                "every token of a hit came from the cache: " + second.path("usage"));
        assertEquals(0, second.path("cost").path("total_cost").decimalValue().signum(), "a hit is free by default: " + second.path("cost"));
        assertEquals(firstCost, second.path("cost").path("cache_savings").decimalValue(), "saved what the first call cost");
        assertFalse(first.path("cost").has("cache_savings"), "a miss saved nothing: " + first.path("cost"));
        awaitCacheHits(gateway, hitsBefore + 1);
        awaitCondition(() -> loggedAsHit(gateway, second.path("id").asText()), () -> "no request-log row with cache_hit for " + second.path("id"));
    }

    @Test
    void another_projects_identical_request_is_a_miss_and_the_same_projects_other_key_a_hit() throws Exception {
        String question = "Name a prime number. " + UUID.randomUUID();
        ok(chat(gateway, KEY_A, deterministic(question)));

        JsonNode otherProject = ok(chat(gateway, KEY_B, deterministic(question)));
        assertFalse(otherProject.path("routing").path("cache_hit").asBoolean(true), "project B never reads project A's answer");
        assertEquals(2, upstreamCalls(gateway, question));

        JsonNode sameProject = ok(chat(gateway, KEY_A2, deterministic(question)));
        assertTrue(sameProject.path("routing").path("cache_hit").asBoolean(), "the cache is the project's, not the key's");
        assertEquals(2, upstreamCalls(gateway, question));
    }

    @Test
    void user_tracking_and_budget_fields_do_not_split_the_cache_but_sampling_parameters_do() throws Exception {
        String question = "Say hello. " + UUID.randomUUID();
        ok(chat(gateway, KEY_A, deterministic(question)));

        ObjectNode other = deterministic(question);
        other.put("user", "someone-else");
        other.putObject("budget").put("tracking_id", "trk-42").put("max_cost", 1.0);
        other.put("temperature", 0.0);
        assertTrue(ok(chat(gateway, KEY_A, other)).path("routing").path("cache_hit").asBoolean(), "same question, other bookkeeping");
        assertEquals(1, upstreamCalls(gateway, question));

        ObjectNode shorter = deterministic(question);
        shorter.put("max_tokens", 7);
        assertFalse(ok(chat(gateway, KEY_A, shorter)).path("routing").path("cache_hit").asBoolean(true), "max_tokens changes the question");
        assertEquals(2, upstreamCalls(gateway, question));
    }

    @Test
    void a_sampled_request_is_cached_only_on_explicit_opt_in() throws Exception {
        String question = "Write a haiku. " + UUID.randomUUID();
        ObjectNode sampled = deterministic(question);
        sampled.put("temperature", 0.7);
        ok(chat(gateway, KEY_A, sampled));
        assertFalse(ok(chat(gateway, KEY_A, sampled)).path("routing").path("cache_hit").asBoolean(true));
        assertEquals(2, upstreamCalls(gateway, question), "temperature above 0 without opt-in: each call goes upstream");

        sampled.putObject("routing").put("enable_caching", true);
        ok(chat(gateway, KEY_A, sampled));
        assertTrue(ok(chat(gateway, KEY_A, sampled)).path("routing").path("cache_hit").asBoolean(), "opted in");
        assertEquals(3, upstreamCalls(gateway, question));

        ObjectNode optedOut = deterministic(question);
        optedOut.putObject("routing").put("enable_caching", false);
        ok(chat(gateway, KEY_A, optedOut));
        ok(chat(gateway, KEY_A, optedOut));
        assertEquals(5, upstreamCalls(gateway, question), "enable_caching false: never cached, even at temperature 0");
    }

    @Test
    void a_streamed_request_is_answered_from_the_cache_as_a_stream() throws Exception {
        String question = "Tell me a short story. " + UUID.randomUUID();
        ObjectNode request = deterministic(question);
        request.put("stream", true);
        request.putObject("stream_options").put("include_usage", true);

        Stream first = stream(chat(gateway, KEY_A, request));
        assertEquals(1, upstreamCalls(gateway, question));
        Stream second = stream(chat(gateway, KEY_A, request));
        assertEquals(1, upstreamCalls(gateway, question), "the streamed hit made no upstream call");

        assertEquals(first.text(), second.text(), "the same answer, streamed");
        assertFalse(second.text().isEmpty());
        assertTrue(second.done, "ends with [DONE]");
        assertEquals("assistant", second.chunks.get(0).path("choices").get(0).path("delta").path("role").asText(), "role first");
        assertEquals("stop", second.finishReason());
        JsonNode last = second.chunks.get(second.chunks.size() - 1);
        assertEquals(0, last.path("choices").size(), "OpenAI's usage chunk: " + last);
        assertEquals(first.chunks.get(first.chunks.size() - 1).path("usage").path("total_tokens"), last.path("usage").path("total_tokens"));
        assertTrue(last.path("routing").path("cache_hit").asBoolean(), last.toString());
        assertTrue(last.path("cost").path("cache_savings").decimalValue().signum() > 0, last.toString());
        assertEquals("chat.completion.chunk", last.path("object").asText());

        // The stream's assembled answer serves a unary request as well.
        ObjectNode unary = deterministic(question);
        JsonNode answer = ok(chat(gateway, KEY_A, unary));
        assertTrue(answer.path("routing").path("cache_hit").asBoolean(), answer.toString());
        assertEquals(first.text(), answer.path("choices").get(0).path("message").path("content").asText());
        assertEquals(1, upstreamCalls(gateway, question));
    }

    @Test
    void twenty_concurrent_identical_misses_make_one_upstream_call() throws Exception {
        String hold = "cache-flight-" + UUID.randomUUID();
        String question = "Summarise the news. [sandbox:hold=" + hold + "] " + UUID.randomUUID();
        List<CompletableFuture<HttpResponse<String>>> calls = heldTogether(question, hold, 20);

        int hits = 0;
        String content = null;
        for (CompletableFuture<HttpResponse<String>> call : calls) {
            JsonNode answer = ok(call.get());
            hits += answer.path("routing").path("cache_hit").asBoolean() ? 1 : 0;
            String text = answer.path("choices").get(0).path("message").path("content").asText();
            if (content != null) {
                assertEquals(content, text);
            }
            content = text;
        }
        assertEquals(1, upstreamCalls(gateway, question), "one upstream call for twenty requests");
        assertEquals(19, hits);
    }

    @Test
    void a_leader_that_fails_lets_its_waiters_go_on_and_ask_upstream_themselves() throws Exception {
        String hold = "cache-failed-flight-" + UUID.randomUUID();
        String question = "Fail slowly [sandbox:status=500] [sandbox:hold=" + hold + "] " + UUID.randomUUID();
        for (CompletableFuture<HttpResponse<String>> call : heldTogether(question, hold, 3)) {
            assertEquals(502, call.get().statusCode(), call.get().body());
        }
        assertTrue(upstreamCalls(gateway, question) >= 3, "each waiter asked upstream once the leader failed");
    }

    /**
     * Sends n identical requests at once and releases the sandbox's hold only when the first is held at
     * the vendor and the other n - 1 wait on its flight, none at the vendor: no timing involved.
     */
    private static List<CompletableFuture<HttpResponse<String>>> heldTogether(String question, String hold, int n)
            throws InterruptedException {
        SingleFlight flights = flights(gateway);
        int waitingBefore = flights.waiting();
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            calls.add(chatAsync(gateway, KEY_A, deterministic(question)));
        }
        awaitCondition(() -> upstreamCalls(gateway, question) == 1 && flights.waiting() - waitingBefore == n - 1,
                () -> "upstream calls " + upstreamCalls(gateway, question) + ", waiting " + (flights.waiting() - waitingBefore));
        gateway.sandbox().release(hold);
        return calls;
    }

    @Test
    void a_failed_answer_is_not_cached() throws Exception {
        String question = "Fail please [sandbox:status=500] " + UUID.randomUUID();
        HttpResponse<String> first = chat(gateway, KEY_A, deterministic(question));
        assertNotEquals(200, first.statusCode());
        HttpResponse<String> second = chat(gateway, KEY_A, deterministic(question));
        assertNotEquals(200, second.statusCode());
        assertTrue(upstreamCalls(gateway, question) >= 2, "the failure was asked again, not served from the cache");
    }

    // ---- helpers, shared with the Redis test ------------------------------------------------------

    static SingleFlight flights(RunningGateway gw) {
        return gw.context().getRegistry().lookupByNameAndType("responseCacheFlights", SingleFlight.class);
    }

    static ObjectNode deterministic(String question) {
        ObjectNode request = JSON.createObjectNode();
        request.put("model", "gpt-4o-mini");
        request.putArray("messages").addObject().put("role", "user").put("content", question);
        request.put("temperature", 0);
        request.putObject("response").put("include_model_info", true);
        return request;
    }

    static HttpResponse<String> chat(RunningGateway gw, String key, ObjectNode body) {
        return gw.post("/chat/completions", body.toString(), key);
    }

    private static final HttpClient ASYNC = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static CompletableFuture<HttpResponse<String>> chatAsync(RunningGateway gw, String key, ObjectNode body) {
        return ASYNC.sendAsync(HttpRequest.newBuilder(URI.create(gw.baseUrl() + "/chat/completions"))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode ok(HttpResponse<String> response) throws IOException {
        assertEquals(200, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }

    /** Calls that reached a sandbox vendor with this question in them. */
    static long upstreamCalls(RunningGateway gw, String question) {
        return gw.sandbox().recorded().stream().filter(r -> r.body() != null && r.body().contains(question.substring(question.length() - 36))).count();
    }

    /** The request log's row of the answer with this id says cache_hit (rows are written in batches: may lag). */
    static boolean loggedAsHit(RunningGateway gw, String completionId) {
        String requestId = "req_" + completionId.substring("chatcmpl-".length());
        try (java.sql.Connection c = gw.context().getRegistry().lookupByNameAndType("gatewayDatabase", Database.class).dataSource().getConnection();
             java.sql.PreparedStatement q = c.prepareStatement("SELECT cache_hit, total_cost FROM request_log WHERE request_id = ?")) {
            q.setString(1, requestId);
            try (java.sql.ResultSet rs = q.executeQuery()) {
                return rs.next() && rs.getBoolean(1) && rs.getBigDecimal(2).signum() == 0;
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static double cacheHits(RunningGateway gw) {
        return PrometheusText.parse(gw.get("/metrics", null).body())
                .sum("unified_cache_hits_total", "model", "gpt-4o-mini", "provider", "openai");
    }

    /** Metrics are counted on the wire-tap, after the answer: wait until they are in. */
    static void awaitCacheHits(RunningGateway gw, double atLeast) throws InterruptedException {
        awaitCondition(() -> cacheHits(gw) >= atLeast, () -> "unified_cache_hits_total stayed at " + cacheHits(gw));
    }

    static void awaitCondition(java.util.function.BooleanSupplier condition, java.util.function.Supplier<String> state)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("never happened: " + state.get());
            }
            Thread.sleep(10);
        }
    }

    /** A streamed answer's chunks, parsed. */
    record Stream(List<JsonNode> chunks, boolean done) {
        String text() {
            StringBuilder text = new StringBuilder();
            for (JsonNode chunk : chunks) {
                for (JsonNode choice : chunk.path("choices")) {
                    text.append(choice.path("delta").path("content").asText(""));
                }
            }
            return text.toString();
        }

        String finishReason() {
            for (JsonNode chunk : chunks) {
                for (JsonNode choice : chunk.path("choices")) {
                    if (choice.hasNonNull("finish_reason")) {
                        return choice.get("finish_reason").asText();
                    }
                }
            }
            return null;
        }
    }

    static Stream stream(HttpResponse<String> response) throws IOException {
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<JsonNode> chunks = new ArrayList<>();
        boolean done = false;
        for (String line : response.body().split("\n")) {
            if (line.startsWith("data: ")) {
                String data = line.substring(6);
                if (data.equals("[DONE]")) {
                    done = true;
                } else {
                    chunks.add(JSON.readTree(data));
                }
            }
        }
        return new Stream(chunks, done);
    }
}
