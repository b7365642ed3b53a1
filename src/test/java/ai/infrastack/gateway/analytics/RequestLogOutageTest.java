package ai.infrastack.gateway.analytics;

import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * PostgreSQL stopped mid-run: requests keep succeeding without waiting for it, and once it is back
 * every request of the outage is in the request log. The test runs its own embedded PostgreSQL
 * (never the machine's shared server), stops it and starts it again on the same port and data.
 */
class RequestLogOutageTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int OUTAGE_REQUESTS = 20;
    /** Hikari's connect timeout is 2 s: a request that waited for the database would take at least that. */
    private static final long NO_WAIT_MS = 1500;

    @TempDir
    Path dataDir;
    private EmbeddedPostgres postgres;

    @AfterEach
    void stopPostgres() throws IOException {
        if (postgres != null) {
            postgres.close();
        }
    }

    private EmbeddedPostgres startPostgres(int port) throws IOException {
        return EmbeddedPostgres.builder().setPort(port).setDataDirectory(dataDir).setCleanDataDirectory(false).start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static HttpResponse<String> chat(RunningGateway gateway, int i) {
        ObjectNode body = JSON.createObjectNode().put("model", i % 2 == 0 ? "gpt-4o" : "claude-3-haiku");
        body.putArray("messages").addObject().put("role", "user").put("content", "Request number " + i);
        return gateway.post("/chat/completions", body.toString(), RunningGateway.MASTER_KEY);
    }

    /** Sends one chat request; returns its request id after checking it succeeded. */
    private static String succeed(RunningGateway gateway, int i, long[] elapsedMs) {
        long start = System.nanoTime();
        HttpResponse<String> r = chat(gateway, i);
        elapsedMs[0] = (System.nanoTime() - start) / 1_000_000;
        assertEquals(200, r.statusCode(), "request " + i + ": " + r.body());
        String id = r.headers().firstValue("X-Request-Id").orElse(null);
        assertNotNull(id, "X-Request-Id of request " + i);
        return id;
    }

    /** request_id → status of the logged rows among {@code ids}. */
    private static Map<String, Integer> logged(String jdbcUrl, Set<String> ids) throws SQLException {
        Map<String, Integer> found = new HashMap<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl);
             PreparedStatement ps = c.prepareStatement("SELECT request_id, status FROM request_log WHERE request_id = ANY (?)")) {
            ps.setArray(1, c.createArrayOf("varchar", ids.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.put(rs.getString(1), rs.getInt(2));
                }
            }
        }
        return found;
    }

    private static void awaitLogged(String jdbcUrl, Set<String> ids, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Integer> found = Map.of();
        while (System.nanoTime() < deadline) {
            try {
                found = logged(jdbcUrl, ids);
                if (found.keySet().containsAll(ids)) {
                    assertTrue(found.values().stream().allMatch(s -> s == 200), "logged as successes: " + found);
                    return;
                }
            } catch (SQLException e) {
                // still starting: try again
            }
            Thread.sleep(100);
        }
        Set<String> missing = new HashSet<>(ids);
        missing.removeAll(found.keySet());
        fail(what + ": " + missing.size() + " of " + ids.size() + " requests missing from request_log after " + timeout + ": " + missing);
    }

    @Test
    void requestsSucceedWhilePostgresIsDownAndAreAllLoggedOnceItIsBack() throws Exception {
        int port = freePort();
        postgres = startPostgres(port);
        String jdbcUrl = postgres.getJdbcUrl("postgres", "postgres");

        try (RunningGateway gateway = RunningGateway.start(Map.of(
                "gateway.database.url", jdbcUrl,
                "gateway.request-log.retry-ms", "200"))) {
            RequestLogWriter writer = gateway.context().getRegistry().lookupByNameAndType("requestLogWriter", RequestLogWriter.class);
            assertNotNull(writer, "the gateway's request-log writer");
            long[] elapsed = new long[1];

            // Before: rows appear (this also warms the request path up).
            Set<String> before = new HashSet<>();
            long slowestBefore = 0;
            for (int i = 0; i < 6; i++) {
                before.add(succeed(gateway, i, elapsed));
                if (i >= 2) {
                    slowestBefore = Math.max(slowestBefore, elapsed[0]);
                }
            }
            awaitLogged(jdbcUrl, before, Duration.ofSeconds(10), "before the outage");
            long writtenBefore = writer.written();

            // PostgreSQL goes away.
            postgres.close();
            postgres = null;
            assertThrows(SQLException.class, () -> DriverManager.getConnection(jdbcUrl).close(), "PostgreSQL is down");

            Set<String> outage = new HashSet<>();
            List<Long> latencies = new ArrayList<>();
            for (int i = 0; i < OUTAGE_REQUESTS; i++) {
                outage.add(succeed(gateway, 100 + i, elapsed));
                latencies.add(elapsed[0]);
            }
            assertEquals(OUTAGE_REQUESTS, outage.size(), "distinct request ids");
            long slowest = latencies.stream().mapToLong(Long::longValue).max().orElseThrow();
            assertTrue(slowest < NO_WAIT_MS, "no request waited for the database: latencies " + latencies
                    + " ms (before the outage the slowest warm request took " + slowestBefore + " ms)");

            // While it is down nothing is written, nothing is lost.
            Thread.sleep(1000);
            assertEquals(writtenBefore, writer.written(), "nothing can be written while PostgreSQL is down");
            assertEquals(0, writer.dropped(), "nothing dropped");

            // PostgreSQL comes back on the same port with the same data.
            postgres = startPostgres(port);
            awaitLogged(jdbcUrl, outage, Duration.ofSeconds(15), "after PostgreSQL came back");
            Map<String, Integer> all = logged(jdbcUrl, union(before, outage));
            assertEquals(before.size() + OUTAGE_REQUESTS, all.size(), "every request of the run is logged once");
            assertEquals(0, writer.dropped());
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new HashSet<>(a);
        u.addAll(b);
        return u;
    }
}
