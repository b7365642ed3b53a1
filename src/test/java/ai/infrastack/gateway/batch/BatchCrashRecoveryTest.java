package ai.infrastack.gateway.batch;

import ai.infrastack.gateway.sandbox.SandboxUpstreams;
import ai.infrastack.gateway.support.GatewayProcess;
import ai.infrastack.gateway.support.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The crash acceptance: a gateway process is killed with SIGKILL in the middle of a 200-item batch (five at
 * a time) and another is started on the same PostgreSQL; the batch completes with exactly one result per item
 * and nothing charged twice. The sandbox upstreams live in the test JVM and outlive both gateways. Items
 * 100–104 are held in the sandbox, so the kill lands when items 0–99 are stored and exactly those five are in
 * flight (their slots full, no other item started). They were sent but never answered — the kill cut their
 * connections — and after the leases of the dead instance run out the second gateway sends them again, under
 * the request ids they were first sent with: the sandbox answers 200 calls of 205 received, and the request
 * log has 200 rows, the batch's 200 request ids. A second test puts the kill in the window between a call's
 * charge and its stored result, deterministically: the request log and the budget ledger are given the
 * charge of two interrupted items before the restart, and those two are not sent again.
 */
class BatchCrashRecoveryTest {
    private static final String MASTER = "sk-batch-crash-master-0123456789";
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;
    private SandboxUpstreams sandbox;
    private GatewayProcess gateway;

    @AfterEach
    void stop() throws Exception {
        if (gateway != null) {
            gateway.close();
        }
        if (sandbox != null) {
            sandbox.close();
        }
    }

    @Test
    void kill_nine_mid_batch_then_restart_completes_every_item_once_and_charges_none_twice() throws Exception {
        sandbox = SandboxUpstreams.start(0);
        String database = TestDatabases.freshPostgres();
        Map<String, String> settings = settings(database);
        gateway = GatewayProcess.start(settings, dir.resolve("gateway-first.log"));

        JsonNode key = read(send("POST", "/keys", "{\"name\": \"batch-owner\", \"tier\": \"pro\"}", MASTER), 201);
        String keyId = key.path("id").asText();
        String secret = key.path("key").asText();
        String hold = "crash-" + UUID.randomUUID();
        JsonNode accepted = read(send("POST", "/batches", Batches.body(200, 5,
                i -> (i >= 100 && i < 105 ? "[sandbox:hold=" + hold + "] " : "") + "Crash test item " + i).toString(), secret), 202);
        String id = accepted.path("batch_id").asText();

        Batches.awaitHeld(sandbox, hold, 5, Duration.ofSeconds(180));
        assertEquals(105, sandbox.calls().received(), "items 0-104 sent, no other");
        assertEquals(100, sandbox.calls().answered());
        assertEquals(137, gateway.kill(), "killed by SIGKILL");
        gateway = null;
        awaitNoneInFlight();
        assertEquals(100, sandbox.calls().answered(), "the five held calls were never answered");
        sandbox.release(hold);
        Map<String, Integer> before = itemStates(database, id);
        assertEquals(100, before.getOrDefault("completed", 0), "stored before the kill: " + before);
        assertEquals(5, before.getOrDefault("running", 0), "leased by the dead instance: " + before);
        Map<Integer, String> inFlight = inFlightRequestIds(database, id);
        assertEquals(Set.of(100, 101, 102, 103, 104), inFlight.keySet(), "each call's request id noted before it was sent");

        gateway = GatewayProcess.start(settings, dir.resolve("gateway-second.log"));
        JsonNode done = Batches.awaitFinished(() -> body(send("GET", "/batches/" + id, null, secret)), Duration.ofSeconds(180));

        assertEquals("completed", done.path("status").asText(), done.toString());
        assertEquals(200, done.path("request_counts").path("completed").asInt());
        JsonNode results = done.path("results");
        assertEquals(200, results.size());
        Set<String> requestIds = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            assertEquals(i, results.get(i).path("index").asInt());
            assertEquals("completed", results.get(i).path("status").asText(), results.get(i).toString());
            requestIds.add(results.get(i).path("request_id").asText());
        }
        assertEquals(200, requestIds.size(), "one answered request per item");
        inFlight.forEach((index, requestId) -> assertEquals(requestId, results.get(index).path("request_id").asText(),
                "item " + index + " re-sent under the request id of its interrupted call"));
        assertEquals(Map.of(1, 195, 2, 5), attempts(database, id), "only the five cut by the kill were sent twice");
        assertEquals(200, sandbox.calls().answered(), "the providers answered each item once");
        assertEquals(205, sandbox.calls().received());

        RequestLog log = requestLog(database, keyId, 200);
        assertEquals(requestIds, log.requestIds(), "the request log holds exactly the batch's answered calls");
        BigDecimal total = done.path("total_cost").decimalValue();
        assertEquals(0, Batches.sumOfItemCosts(done).compareTo(total));
        assertEquals(0, log.total().compareTo(total), "charged once: the request log's total is the batch's");
    }

    @Test
    void an_item_charged_before_the_kill_but_not_stored_is_answered_answer_lost_and_never_sent_or_charged_again()
            throws Exception {
        sandbox = SandboxUpstreams.start(0);
        String database = TestDatabases.freshPostgres();
        Map<String, String> settings = settings(database);
        gateway = GatewayProcess.start(settings, dir.resolve("gateway-first.log"));
        JsonNode key = read(send("POST", "/keys", "{\"name\": \"batch-owner\", \"tier\": \"pro\"}", MASTER), 201);
        String keyId = key.path("id").asText();
        String secret = key.path("key").asText();
        String hold = "window-" + UUID.randomUUID();
        // Items 0-2 fill the three slots and are held in the sandbox; 3-5 wait for a slot.
        JsonNode accepted = read(send("POST", "/batches", Batches.body(6, 3,
                i -> (i < 3 ? "[sandbox:hold=" + hold + "] " : "") + "Window item " + i).toString(), secret), 202);
        String id = accepted.path("batch_id").asText();
        Batches.awaitHeld(sandbox, hold, 3, Duration.ofSeconds(60));
        assertEquals(137, gateway.kill(), "killed by SIGKILL");
        gateway = null;
        awaitNoneInFlight();
        sandbox.release(hold);
        Map<Integer, String> inFlight = inFlightRequestIds(database, id);
        assertEquals(Set.of(0, 1, 2), inFlight.keySet());

        // The kill as if it had landed after the charge and before the stored result: item 0's call is in the
        // request log (and, say, item 1's only in the budget ledger, its row still in a journal).
        BigDecimal logged = new BigDecimal("0.00012000");
        BigDecimal settled = new BigDecimal("0.00034000");
        insertRequestLogRow(database, inFlight.get(0), keyId, logged);
        insertSettledCharge(database, inFlight.get(1), keyId, settled);

        gateway = GatewayProcess.start(settings, dir.resolve("gateway-second.log"));
        JsonNode done = Batches.awaitFinished(() -> body(send("GET", "/batches/" + id, null, secret)), Duration.ofSeconds(120));

        JsonNode results = done.path("results");
        for (int i : new int[] {0, 1}) {
            JsonNode lost = results.get(i);
            assertEquals("failed", lost.path("status").asText(), lost.toString());
            assertEquals("answer_lost", lost.path("error").path("code").asText(), lost.toString());
            assertEquals(inFlight.get(i), lost.path("request_id").asText(), "the charged call's request id");
        }
        assertEquals(0, logged.compareTo(results.get(0).path("cost").decimalValue()), "its charge, as the request log has it");
        assertEquals(0, settled.compareTo(results.get(1).path("cost").decimalValue()), "its charge, as the ledger has it");
        assertEquals(inFlight.get(2), results.get(2).path("request_id").asText(), "the uncharged one re-sent under its id");
        for (int i = 2; i < 6; i++) {
            assertEquals("completed", results.get(i).path("status").asText(), results.get(i).toString());
        }
        assertEquals(4, sandbox.calls().answered(), "items 0 and 1 were not sent again");
        assertEquals(7, sandbox.calls().received(), "three cut by the kill, then items 2-5");

        RequestLog log = requestLog(database, keyId, 5);
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            if (i != 1) {
                expected.add(results.get(i).path("request_id").asText());
            }
        }
        assertEquals(expected, log.requestIds(), "one row per call: the four answered now and the one charged before");
        assertEquals(0, log.total().add(settled).compareTo(done.path("total_cost").decimalValue()),
                "the batch's total is what was charged, once");
    }

    private static void insertRequestLogRow(String database, String requestId, String keyId, BigDecimal cost) throws SQLException {
        try (Connection c = DriverManager.getConnection(database);
             PreparedStatement ps = c.prepareStatement("INSERT INTO request_log (request_id, created_at, key_id, requested_model,"
                     + " served_model, provider, status, prompt_tokens, completion_tokens, cached_tokens, input_cost, output_cost,"
                     + " total_cost, latency_ms, cache_hit, fallback_used, streamed) VALUES (?, CURRENT_TIMESTAMP, ?, 'gpt-4o-mini',"
                     + " 'gpt-4o-mini', 'openai', 200, 10, 10, 0, 0, ?, ?, 5, FALSE, FALSE, FALSE)")) {
            ps.setString(1, requestId);
            ps.setString(2, keyId);
            ps.setBigDecimal(3, cost);
            ps.setBigDecimal(4, cost);
            ps.executeUpdate();
        }
    }

    /** A reservation for the request and its settle row, as BudgetLedger writes them. */
    private static void insertSettledCharge(String database, String requestId, String keyId, BigDecimal spent) throws SQLException {
        try (Connection c = DriverManager.getConnection(database);
             PreparedStatement ps = c.prepareStatement("INSERT INTO budget_ledger (reservation_id, scope_type, scope_id, period,"
                     + " period_start, kind, reserved_delta, spent_delta, expires_at, request_id, created_at)"
                     + " VALUES ('rsv_window', 'key', ?, 'month', CURRENT_TIMESTAMP, ?, ?, ?, NULL, ?, CURRENT_TIMESTAMP)")) {
            ps.setString(1, keyId);
            ps.setString(2, "reserve");
            ps.setBigDecimal(3, new BigDecimal("0.01"));
            ps.setBigDecimal(4, BigDecimal.ZERO);
            ps.setString(5, requestId);
            ps.executeUpdate();
            ps.setString(2, "settle");
            ps.setBigDecimal(3, new BigDecimal("-0.01"));
            ps.setBigDecimal(4, spent);
            ps.setString(5, null);
            ps.executeUpdate();
        }
    }

    /** The request id noted for each item still leased (running), by index. */
    private static Map<Integer, String> inFlightRequestIds(String database, String batchId) throws SQLException {
        Map<Integer, String> out = new HashMap<>();
        try (Connection c = DriverManager.getConnection(database);
             PreparedStatement ps = c.prepareStatement("SELECT item_index, request_id FROM batch_items WHERE batch_id = ?"
                     + " AND state = 'running'")) {
            ps.setString(1, batchId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    assertTrue(rs.getString(2) != null && rs.getString(2).startsWith("req_"), "noted: " + rs.getString(2));
                    out.put(rs.getInt(1), rs.getString(2));
                }
            }
        }
        return out;
    }

    private Map<String, String> settings(String database) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("gateway.auth.master-key", MASTER);
        s.put("gateway.sandbox", "false");
        s.put("gateway.database.url", database);
        s.put("gateway.request-log.journal-dir", dir.resolve("journal").toString());
        s.put("gateway.reload-enabled", "false");
        s.put("gateway.batch.lease-seconds", "3");
        s.put("gateway.batch.poll-ms", "200");
        for (String provider : Batches.PROVIDERS) {
            String format = provider.equals("google") ? "gemini" : provider;
            s.put("gateway.provider." + provider + ".base-url", sandbox.baseUrlFor(provider, format));
            s.put("gateway.provider." + provider + ".api-key", "sk-sandbox-" + provider);
        }
        return s;
    }

    private void awaitNoneInFlight() {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (sandbox.calls().inFlight() > 0) {
            assertTrue(System.nanoTime() < deadline, sandbox.calls().inFlight() + " calls still open after the kill");
            Batches.pause();
        }
    }

    private HttpResponse<String> send(String method, String path, String body, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String body(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    private static JsonNode read(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.body());
        return Batches.read(r.body());
    }

    private static Map<String, Integer> itemStates(String database, String batchId) throws SQLException {
        return counts(database, "SELECT state, COUNT(*) FROM batch_items WHERE batch_id = ? GROUP BY state", batchId);
    }

    /** How many items were sent how many times. */
    private static Map<Integer, Integer> attempts(String database, String batchId) throws SQLException {
        Map<Integer, Integer> out = new HashMap<>();
        counts(database, "SELECT attempts, COUNT(*) FROM batch_items WHERE batch_id = ? GROUP BY attempts", batchId)
                .forEach((k, v) -> out.put(Integer.parseInt(k), v));
        return out;
    }

    private static Map<String, Integer> counts(String database, String sql, String arg) throws SQLException {
        Map<String, Integer> out = new HashMap<>();
        try (Connection c = DriverManager.getConnection(database); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getInt(2));
                }
            }
        }
        return out;
    }

    private record RequestLog(Set<String> requestIds, BigDecimal total) {
    }

    /** The key's request-log rows once it has {@code rows} (the second gateway replays the first one's journal). */
    private static RequestLog requestLog(String database, String keyId, int rows) throws SQLException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            Set<String> ids = new HashSet<>();
            BigDecimal total = BigDecimal.ZERO;
            try (Connection c = DriverManager.getConnection(database);
                 PreparedStatement ps = c.prepareStatement("SELECT request_id, total_cost FROM request_log WHERE key_id = ?")) {
                ps.setString(1, keyId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                        total = total.add(rs.getBigDecimal(2) == null ? BigDecimal.ZERO : rs.getBigDecimal(2));
                    }
                }
            }
            if (ids.size() >= rows || System.nanoTime() > deadline) {
                return new RequestLog(ids, total);
            }
            Batches.pause();
        }
    }
}
