package ai.infrastack.gateway.batch;

import ai.infrastack.gateway.sandbox.SandboxUpstreams;
import ai.infrastack.gateway.support.RunningGateway;
import ai.infrastack.gateway.support.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static ai.infrastack.gateway.batch.Batches.MODELS;
import static ai.infrastack.gateway.batch.Batches.PROVIDERS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The acceptance run: 100 items over three providers with max_concurrent_requests 5 against a real
 * PostgreSQL. The first five answers are held in the sandbox, so the batch is provably at its ceiling
 * (five in flight, no sixth sent) before anything finishes; the sandbox's peak over the whole run stays
 * at five; results come back in request order with costs that add up to the batch total and to the
 * request log's.
 */
class BatchConcurrencyTest {

    @Test
    void hundred_items_over_three_providers_never_exceed_five_in_flight_and_come_back_in_order_with_costs_that_sum() {
        String database = TestDatabases.freshPostgres();
        try (RunningGateway gateway = RunningGateway.start(Map.of("gateway.database.url", database))) {
            SandboxUpstreams sandbox = gateway.sandbox();
            String hold = "first-five-" + UUID.randomUUID();
            long receivedBefore = sandbox.calls().received();
            sandbox.calls().resetPeak();

            HttpResponse<String> submitted = gateway.post("/batches",
                    Batches.body(100, 5, i -> (i < 5 ? "[sandbox:hold=" + hold + "] " : "") + "Say something about item " + i)
                            .toString(), RunningGateway.MASTER_KEY);
            assertEquals(202, submitted.statusCode(), submitted.body());
            JsonNode accepted = Batches.read(submitted.body());
            String id = accepted.path("batch_id").asText();
            assertTrue(id.startsWith("batch_"), submitted.body());
            assertEquals("queued", accepted.path("status").asText());

            Batches.awaitHeld(sandbox, hold, 5, Duration.ofSeconds(30));
            assertEquals(5, sandbox.calls().inFlight(), "five in flight, the sixth waits for a free slot");
            assertEquals(5, sandbox.calls().received() - receivedBefore, "no sixth item was sent");
            JsonNode running = Batches.read(gateway.get("/batches/" + id, RunningGateway.MASTER_KEY).body());
            assertEquals("in_progress", running.path("status").asText());
            assertTrue(running.path("results").isMissingNode(), "results only once done");
            sandbox.release(hold);

            JsonNode done = Batches.awaitFinished(() -> gateway.get("/batches/" + id, RunningGateway.MASTER_KEY).body(),
                    Duration.ofSeconds(120));
            assertEquals("completed", done.path("status").asText(), done.toString());
            assertTrue(sandbox.calls().peakInFlight() <= 5, "peak " + sandbox.calls().peakInFlight());
            assertEquals(5, sandbox.calls().peakInFlight());
            assertEquals(100, sandbox.calls().received() - receivedBefore);
            assertEquals(100, done.path("request_counts").path("completed").asInt());
            assertEquals(0, done.path("request_counts").path("failed").asInt());
            assertEquals(1, done.path("progress").asInt());
            JsonNode results = done.path("results");
            assertEquals(100, results.size());
            for (int i = 0; i < 100; i++) {
                JsonNode r = results.get(i);
                assertEquals(i, r.path("index").asInt());
                assertEquals("item-" + i, r.path("custom_id").asText());
                assertEquals("completed", r.path("status").asText(), r.toString());
                assertEquals(MODELS[i % 3], r.path("response").path("model").asText(), r.toString());
                assertEquals(PROVIDERS[i % 3], r.path("response").path("provider").asText(), r.toString());
                assertTrue(r.path("cost").decimalValue().signum() > 0, r.toString());
            }
            BigDecimal total = done.path("total_cost").decimalValue();
            assertEquals(0, Batches.sumOfItemCosts(done).compareTo(total), "item costs sum to the batch total");
            assertEquals(0, requestLogTotal(database, 100).compareTo(total), "the request log charged the same");
        }
    }

    /** The request log's total cost once it holds {@code rows} answered rows (it is written in the background). */
    private static BigDecimal requestLogTotal(String database, int rows) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try (Connection c = DriverManager.getConnection(database);
                 PreparedStatement ps = c.prepareStatement("SELECT COUNT(*), SUM(total_cost) FROM request_log WHERE status = 200");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getInt(1) == rows) {
                    return rs.getBigDecimal(2);
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(rs.getInt(1) + " answered rows in the request log, expected " + rows);
                }
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
            Batches.pause();
        }
    }
}
