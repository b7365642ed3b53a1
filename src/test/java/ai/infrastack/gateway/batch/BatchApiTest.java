package ai.infrastack.gateway.batch;

import ai.infrastack.gateway.sandbox.SandboxUpstreams;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static ai.infrastack.gateway.support.RunningGateway.MASTER_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batch API's behaviour on the embedded H2 default: cancel, who sees which batch, items of a key
 * revoked mid-batch, a rate limit that clears, refused submissions, the concurrency ceiling, and that
 * no HTTP client can run as a key it only names by id.
 */
class BatchApiTest {
    private static RunningGateway gateway;

    @BeforeAll
    static void start() {
        gateway = RunningGateway.start(Map.of("gateway.batch.max-concurrency", "8", "gateway.batch.poll-ms", "200"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void cancel_stops_the_items_not_yet_started_and_those_in_flight_finish() {
        String hold = "cancel-" + UUID.randomUUID();
        String id = submit(Batches.body(10, 2, i -> (i < 2 ? "[sandbox:hold=" + hold + "] " : "") + hold + " item " + i), MASTER_KEY);
        Batches.awaitHeld(gateway.sandbox(), hold, 2, Duration.ofSeconds(30));

        HttpResponse<String> cancelled = gateway.post("/batches/" + id + "/cancel", "", MASTER_KEY);
        assertEquals(200, cancelled.statusCode(), cancelled.body());
        assertEquals("cancelled", Batches.read(cancelled.body()).path("status").asText());
        gateway.sandbox().release(hold);

        JsonNode done = awaitFinished(id, MASTER_KEY);
        assertEquals("cancelled", done.path("status").asText());
        assertEquals(2, done.path("request_counts").path("completed").asInt(), done.toString());
        assertEquals(8, done.path("request_counts").path("cancelled").asInt(), done.toString());
        for (int i = 0; i < 10; i++) {
            assertEquals(i < 2 ? "completed" : "cancelled", done.path("results").get(i).path("status").asText());
        }
        assertEquals(2, sentUpstream(hold), "the cancelled items never reached a provider");
    }

    @Test
    void a_key_sees_only_its_own_batches_and_the_master_sees_all() {
        String alice = createKey("alice");
        String bob = createKey("bob");
        String alicesBatch = submit(Batches.body(1, 1, i -> "alice's"), alice);
        String bobsBatch = submit(Batches.body(1, 1, i -> "bob's"), bob);

        assertEquals(Set.of(alicesBatch), ids(gateway.get("/batches", alice)));
        assertEquals(Set.of(bobsBatch), ids(gateway.get("/batches", bob)));
        assertTrue(ids(gateway.get("/batches", MASTER_KEY)).containsAll(Set.of(alicesBatch, bobsBatch)));

        HttpResponse<String> peek = gateway.get("/batches/" + alicesBatch, bob);
        assertEquals(404, peek.statusCode(), "another key's batch does not exist for bob");
        assertEquals("batch_not_found", Batches.read(peek.body()).path("error").path("code").asText());
        assertEquals(404, gateway.post("/batches/" + alicesBatch + "/cancel", "", bob).statusCode());
        assertEquals(200, gateway.get("/batches/" + alicesBatch, MASTER_KEY).statusCode());
        assertEquals("completed", awaitFinished(alicesBatch, alice).path("status").asText());
    }

    @Test
    void a_revoked_keys_pending_items_fail_with_an_authentication_error() {
        JsonNode key = createKeyJson("soon-revoked");
        String hold = "revoke-" + UUID.randomUUID();
        String id = submit(Batches.body(3, 1, i -> (i == 0 ? "[sandbox:hold=" + hold + "] " : "") + hold + " item " + i),
                key.path("key").asText());
        Batches.awaitHeld(gateway.sandbox(), hold, 1, Duration.ofSeconds(30));
        assertEquals(200, gateway.post("/keys/" + key.path("id").asText() + "/revoke", "", MASTER_KEY).statusCode());
        gateway.sandbox().release(hold);

        JsonNode done = awaitFinished(id, MASTER_KEY);
        JsonNode results = done.path("results");
        assertEquals("completed", results.get(0).path("status").asText(), "authenticated before the revocation");
        for (int i = 1; i < 3; i++) {
            assertEquals("failed", results.get(i).path("status").asText(), results.get(i).toString());
            assertEquals("authentication_error", results.get(i).path("error").path("type").asText(), results.get(i).toString());
        }
        assertEquals(1, sentUpstream(hold));
    }

    @Test
    void a_rate_limited_item_waits_and_is_retried_rather_than_failing() {
        String marker = "limited-" + UUID.randomUUID();
        String id = submit(Batches.body(2, 2, i -> (i == 0 ? "[sandbox:status=429][sandbox:status_times=2][sandbox:retry_after=0] " : "")
                + marker + " item " + i), MASTER_KEY);
        JsonNode done = awaitFinished(id, MASTER_KEY);
        assertEquals("completed", done.path("status").asText());
        assertEquals(2, done.path("request_counts").path("completed").asInt(), done.toString());
        assertEquals(4, sentUpstream(marker), "two 429s, then the answer; and the other item once");
    }

    @Test
    void a_malformed_batch_is_refused_naming_what_is_wrong() {
        assertRefused("{\"requests\": []}", "requests");
        assertRefused("{\"requests\": [{\"model\": \"gpt-4o-mini\"}]}", "requests[0]");
        assertRefused("{\"requests\": [{\"model\": \"gpt-4o-mini\", \"messages\": [], \"stream\": true}]}", "requests[0].stream");
        assertRefused("{\"requests\": [{\"model\": \"gpt-4o-mini\", \"messages\": []}], \"max_concurrent_requests\": 0}",
                "max_concurrent_requests");
        assertRefused("{\"requests\": [{\"model\": \"gpt-4o-mini\", \"messages\": []}], \"webhook_url\": \"ftp://x\"}", "webhook_url");
        assertRefused("{\"requests\": [{\"model\": \"gpt-4o-mini\", \"messages\": []}], \"extra\": 1}", "extra");
        ObjectNode twice = Batches.body(2, 1, i -> "x");
        ((ObjectNode) twice.path("requests").get(1)).put("custom_id", "item-0");
        assertRefused(twice.toString(), "requests[1].custom_id");
        assertEquals(401, gateway.post("/batches", Batches.body(1, 1, i -> "x").toString(), null).statusCode());
    }

    @Test
    void max_concurrent_requests_above_the_configured_ceiling_is_capped() {
        HttpResponse<String> r = gateway.post("/batches", Batches.body(1, 500, i -> "capped").toString(), MASTER_KEY);
        assertEquals(202, r.statusCode(), r.body());
        assertEquals(8, Batches.read(r.body()).path("max_concurrent_requests").asInt());
        JsonNode defaults = Batches.read(gateway.post("/batches",
                "{\"requests\": [{\"model\": \"gpt-4o-mini\", \"messages\": [{\"role\": \"user\", \"content\": \"d\"}]}]}", MASTER_KEY).body());
        assertEquals(5, defaults.path("max_concurrent_requests").asInt());
        assertFalse(defaults.path("return_individual_costs").asBoolean());
    }

    /**
     * Batch items name their key by id in an exchange property; an HTTP client can send that name as a
     * header or query parameter, and neither makes it anyone.
     */
    @Test
    void an_http_client_cannot_run_as_a_key_it_names_by_id() throws Exception {
        String chat = "{\"model\": \"gpt-4o-mini\", \"messages\": [{\"role\": \"user\", \"content\": \"forged\"}]}";
        HttpClient http = HttpClient.newHttpClient();
        for (String uri : new String[]{gateway.baseUrl() + "/chat/completions",
                gateway.baseUrl() + "/chat/completions?gatewaySubmittedByKeyId=master"}) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(uri))
                    .header("Content-Type", "application/json").header("gatewaySubmittedByKeyId", "master")
                    .POST(HttpRequest.BodyPublishers.ofString(chat)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, r.statusCode(), uri + " " + r.body());
        }
        // with a key of its own, naming the master key's id still leaves it that key: the admin API refuses it
        String plain = createKey("plain");
        HttpResponse<String> keys = http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/keys?gatewaySubmittedByKeyId=master"))
                .header("Authorization", "Bearer " + plain).header("gatewaySubmittedByKeyId", "master").GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(403, keys.statusCode(), keys.body());
    }

    private static void assertRefused(String body, String param) {
        HttpResponse<String> r = gateway.post("/batches", body, MASTER_KEY);
        assertEquals(400, r.statusCode(), r.body());
        JsonNode error = Batches.read(r.body()).path("error");
        assertEquals("invalid_request_error", error.path("type").asText(), r.body());
        assertEquals(param, error.path("param").asText(), r.body());
    }

    private static String submit(ObjectNode body, String key) {
        HttpResponse<String> r = gateway.post("/batches", body.toString(), key);
        assertEquals(202, r.statusCode(), r.body());
        return Batches.read(r.body()).path("batch_id").asText();
    }

    private static JsonNode awaitFinished(String id, String key) {
        return Batches.awaitFinished(() -> gateway.get("/batches/" + id, key).body(), Duration.ofSeconds(60));
    }

    private static long sentUpstream(String marker) {
        SandboxUpstreams sandbox = gateway.sandbox();
        return sandbox.recorded().stream().filter(r -> r.body().contains(marker)).count();
    }

    private static Set<String> ids(HttpResponse<String> list) {
        assertEquals(200, list.statusCode(), list.body());
        Set<String> ids = new HashSet<>();
        Batches.read(list.body()).path("data").forEach(b -> ids.add(b.path("id").asText()));
        return ids;
    }

    private static String createKey(String name) {
        return createKeyJson(name).path("key").asText();
    }

    private static JsonNode createKeyJson(String name) {
        HttpResponse<String> r = gateway.post("/keys", "{\"name\": \"" + name + "\", \"tier\": \"pro\"}", MASTER_KEY);
        assertEquals(201, r.statusCode(), r.body());
        return Batches.read(r.body());
    }
}
