package ai.infrastack.gateway.analytics;

import ai.infrastack.gateway.metrics.GatewayMetrics;
import ai.infrastack.gateway.storage.Database;
import ai.infrastack.gateway.storage.DatabaseUrl;
import ai.infrastack.gateway.support.LogCapture;
import ai.infrastack.gateway.support.PrometheusText;
import ai.infrastack.gateway.support.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.sql.DataSource;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The request-log writer on its own, against a real database (the embedded H2 default and a real
 * PostgreSQL) or a database that is down: batches, a bounded buffer that drops and counts rather
 * than blocks, a flush on close, and retries that never write a row twice.
 */
class RequestLogWriterTest {
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    // ---- fixtures ---------------------------------------------------------------------------------

    private Database database(String engine) {
        String url = switch (engine) {
            case "h2" -> TestDatabases.freshH2();
            case "postgresql" -> TestDatabases.freshPostgres();
            default -> throw new IllegalArgumentException(engine);
        };
        Database db = Database.open(DatabaseUrl.parse(url), 4);
        toClose.add(db);
        return db;
    }

    private RequestLogWriter writer(DataSource ds, int capacity, int batchSize, long retryMs) {
        RequestLogWriter w = new RequestLogWriter(ds, capacity, batchSize, retryMs);
        toClose.add(() -> w.close(2000));
        return w;
    }

    private static RequestRecord row(String requestId) {
        return new RequestRecord(requestId, Instant.now(), "key_1", "user_1", "project_1", "track_1", "gpt-4o", "gpt-4o",
                "openai", 200, null, 12, 34, 0, new BigDecimal("0.00003000"), new BigDecimal("0.00034000"),
                new BigDecimal("0.00037000"), 25, 20L, false, false, null, false, null);
    }

    private static List<RequestRecord> rows(String prefix, int n) {
        List<RequestRecord> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(row(prefix + "_" + i));
        }
        return rows;
    }

    private static long count(Database db, String where) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM request_log" + (where == null ? "" : " WHERE " + where))) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout + " waiting for: " + what);
            }
            Thread.sleep(20);
        }
    }

    /**
     * A DataSource in front of a real one that records every batch the writer executes and can be
     * made slow, gated, or made to fail, to stand in for a database that is busy or down.
     */
    private static final class ObservedDataSource {
        final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        final AtomicInteger connections = new AtomicInteger();
        final AtomicInteger executions = new AtomicInteger();
        final AtomicInteger commits = new AtomicInteger();
        volatile CountDownLatch gate;
        volatile long connectDelayMs;
        volatile boolean down;
        /** When set, the next executeBatch runs (and commits) and then reports a failure, as a lost ack would. */
        final AtomicBoolean failAfterNextExecute = new AtomicBoolean();
        private final DataSource target;

        ObservedDataSource(DataSource target) {
            this.target = target;
        }

        DataSource dataSource() {
            return proxy(DataSource.class, (p, m, args) -> {
                if (m.getName().equals("getConnection")) {
                    connections.incrementAndGet();
                    CountDownLatch g = gate;
                    if (g != null && !g.await(10, TimeUnit.SECONDS)) {
                        throw new SQLException("test gate never opened");
                    }
                    if (connectDelayMs > 0) {
                        Thread.sleep(connectDelayMs);
                    }
                    if (down) {
                        throw new SQLException("Connection to 127.0.0.1:1 refused", "08001");
                    }
                    return connection((Connection) invoke(target, m, args));
                }
                return invoke(target, m, args);
            });
        }

        private Connection connection(Connection real) {
            return proxy(Connection.class, (p, m, args) -> {
                Object result = invoke(real, m, args);
                if (m.getName().equals("commit")) {
                    commits.incrementAndGet();
                }
                return m.getName().equals("prepareStatement") ? statement((PreparedStatement) result) : result;
            });
        }

        private PreparedStatement statement(PreparedStatement real) {
            AtomicInteger added = new AtomicInteger();
            return proxy(PreparedStatement.class, (p, m, args) -> {
                switch (m.getName()) {
                    case "addBatch" -> added.incrementAndGet();
                    case "executeBatch" -> {
                        Object result = invoke(real, m, args);
                        executions.incrementAndGet();
                        if (failAfterNextExecute.compareAndSet(true, false)) {
                            throw new SQLException("An I/O error occurred while sending to the backend", "08006");
                        }
                        batchSizes.add(added.getAndSet(0));
                        return result;
                    }
                    default -> { }
                }
                return invoke(real, m, args);
            });
        }

        private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
            try {
                return m.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }

        @SuppressWarnings("unchecked")
        private static <T> T proxy(Class<T> type, InvocationHandler handler) {
            return (T) Proxy.newProxyInstance(RequestLogWriterTest.class.getClassLoader(), new Class<?>[] {type}, handler);
        }
    }

    // ---- batches ----------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgresql"})
    void writesRowsInBatchesOfAtMostTheBatchSize(String engine) throws Exception {
        Database db = database(engine);
        ObservedDataSource observed = new ObservedDataSource(db.dataSource());
        observed.gate = new CountDownLatch(1); // the writer's first write waits while the rows pile up
        RequestLogWriter writer = writer(observed.dataSource(), 10_000, 100, 50);

        for (RequestRecord r : rows("req_batch", 1000)) {
            assertTrue(writer.offer(r));
        }
        observed.gate.countDown();
        await("1000 rows written", Duration.ofSeconds(20), () -> writer.written() == 1000);

        assertEquals(1000, count(db, null));
        assertEquals(1000, observed.batchSizes.stream().mapToInt(Integer::intValue).sum(), observed.batchSizes.toString());
        assertTrue(observed.batchSizes.stream().allMatch(n -> n <= 100), "no batch above 100: " + observed.batchSizes);
        assertTrue(observed.batchSizes.size() <= 11, "1000 rows in about ten batches, not row by row: " + observed.batchSizes);
        assertTrue(observed.batchSizes.stream().filter(n -> n == 100).count() >= 9, "full batches: " + observed.batchSizes);
        assertEquals(observed.batchSizes.size(), observed.connections.get(), "one connection per batch");
        assertEquals(0, writer.dropped());
        assertEquals(0, writer.pending());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgresql"})
    void storesEveryFieldOfTheRow(String engine) throws Exception {
        Database db = database(engine);
        RequestLogWriter writer = writer(db.dataSource(), 100, 10, 50);
        RequestRecord r = new RequestRecord("req_fields", Instant.parse("2026-01-02T03:04:05.678Z"), "key_9", "user_9",
                "project_9", "track_9", "gpt-4o-requested", "gpt-4o", "openai", 502, "provider_error", 1500, 0, 1200,
                new BigDecimal("0.00123456"), BigDecimal.ZERO.setScale(8), new BigDecimal("0.00123456"), 812, null, true, true,
                "cost", true, "The upstream provider answered with an error");
        writer.offer(r);
        await("the row written", Duration.ofSeconds(10), () -> writer.written() == 1);
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT * FROM request_log WHERE request_id = ?")) {
            ps.setString(1, "req_fields");
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next());
                assertEquals(r.createdAt(), rs.getTimestamp("created_at").toInstant());
                assertEquals("key_9", rs.getString("key_id"));
                assertEquals("user_9", rs.getString("user_id"));
                assertEquals("project_9", rs.getString("project_id"));
                assertEquals("track_9", rs.getString("tracking_id"));
                assertEquals("gpt-4o-requested", rs.getString("requested_model"));
                assertEquals("gpt-4o", rs.getString("served_model"));
                assertEquals("openai", rs.getString("provider"));
                assertEquals(502, rs.getInt("status"));
                assertEquals("provider_error", rs.getString("error_type"));
                assertEquals(1500, rs.getLong("prompt_tokens"));
                assertEquals(0, rs.getLong("completion_tokens"));
                assertEquals(1200, rs.getLong("cached_tokens"));
                assertEquals(0, new BigDecimal("0.00123456").compareTo(rs.getBigDecimal("input_cost")));
                assertEquals(0, BigDecimal.ZERO.compareTo(rs.getBigDecimal("output_cost")));
                assertEquals(0, new BigDecimal("0.00123456").compareTo(rs.getBigDecimal("total_cost")));
                assertEquals(812, rs.getLong("latency_ms"));
                rs.getLong("ttfb_ms");
                assertTrue(rs.wasNull(), "no upstream call, no ttfb");
                assertTrue(rs.getBoolean("cache_hit"));
                assertTrue(rs.getBoolean("fallback_used"));
                assertEquals("cost", rs.getString("routing_strategy"));
                assertTrue(rs.getBoolean("streamed"));
                assertEquals("The upstream provider answered with an error", rs.getString("error_message"));
            }
        }
    }

    @Test
    void rowsArrivingOneAtATimeShareBatchesWithOneCommitEach() throws Exception {
        Database db = database("h2");
        ObservedDataSource observed = new ObservedDataSource(db.dataSource());
        RequestLogWriter writer = writer(observed.dataSource(), 1000, 500, 20);
        for (RequestRecord r : rows("req_trickle", 20)) {
            assertTrue(writer.offer(r));
            Thread.sleep(1); // one request at a time, as at one connection
        }
        await("20 rows written", Duration.ofSeconds(10), () -> writer.written() == 20);

        // Not a transaction per request: rows offered within the flush interval are written together.
        assertTrue(observed.batchSizes.size() < 20, "batches " + observed.batchSizes);
        assertEquals(observed.executions.get(), observed.commits.get(), "one commit per batch");
        assertEquals(20, count(db, null));
    }

    // ---- the database down: bounded buffer ----------------------------------------------------------

    @Test
    void dropsAndCountsRowsBeyondCapacityWithoutEverBlockingWhileTheDatabaseIsDown() throws Exception {
        ObservedDataSource observed = new ObservedDataSource(null);
        observed.down = true;
        observed.connectDelayMs = 300; // like a connect timeout: the writer waits, offer must not
        int capacity = 50;
        int batch = 10;
        int offered = 500;
        RequestLogWriter writer = writer(observed.dataSource(), capacity, batch, 20);
        GatewayMetrics metrics = new GatewayMetrics();
        metrics.gaugeCounter("unified_request_log_dropped", "Request-log rows lost to a full buffer", writer::dropped);

        try (LogCapture capture = LogCapture.attach()) {
            int[] accepted = {0};
            long[] slowestNanos = {0};
            assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
                for (RequestRecord r : rows("req_overflow", offered)) {
                    long start = System.nanoTime();
                    if (writer.offer(r)) {
                        accepted[0]++;
                    }
                    slowestNanos[0] = Math.max(slowestNanos[0], System.nanoTime() - start);
                }
            }, "offer blocked");
            assertTrue(slowestNanos[0] < TimeUnit.MILLISECONDS.toNanos(250),
                    "slowest offer took " + TimeUnit.NANOSECONDS.toMillis(slowestNanos[0]) + " ms");

            // The writer holds at most one batch; the buffer holds the capacity; the rest is lost.
            assertEquals(offered - accepted[0], writer.dropped(), "every refused row is counted");
            assertTrue(accepted[0] >= capacity && accepted[0] <= capacity + batch, "accepted " + accepted[0]);
            assertTrue(writer.pending() >= capacity - batch && writer.pending() <= capacity, "pending " + writer.pending());
            assertEquals(0, writer.written());
            await("the writer tried the database", Duration.ofSeconds(5), () -> observed.connections.get() >= 1);

            // The loss is visible: in the log and as a Prometheus counter.
            assertTrue(capture.lines().stream().anyMatch(l -> l.contains("Request log buffer full") && l.contains("lost")),
                    "the loss is logged");
            PrometheusText scrape = PrometheusText.parse(metrics.scrape());
            assertEquals((double) writer.dropped(), scrape.sum("unified_request_log_dropped_total"));
        }
    }

    @Test
    void keepsBufferedRowsWhileTheDatabaseIsDownAndWritesThemWhenItReturns() throws Exception {
        Database db = database("h2");
        ObservedDataSource observed = new ObservedDataSource(db.dataSource());
        observed.down = true;
        RequestLogWriter writer = writer(observed.dataSource(), 1000, 25, 20);
        for (RequestRecord r : rows("req_down", 120)) {
            assertTrue(writer.offer(r));
        }
        await("several failed attempts", Duration.ofSeconds(5), () -> observed.connections.get() >= 3);
        assertEquals(0, writer.written());
        assertEquals(0, count(db, null));

        observed.down = false;
        await("120 rows written after the database returned", Duration.ofSeconds(10), () -> writer.written() == 120);
        assertEquals(120, count(db, null));
        assertEquals(0, writer.dropped());
    }

    // ---- close ------------------------------------------------------------------------------------

    @Test
    void closeFlushesTheRowsStillBuffered() throws Exception {
        Database db = database("h2");
        ObservedDataSource observed = new ObservedDataSource(db.dataSource());
        observed.connectDelayMs = 100; // a slow database: ten batches take a second
        RequestLogWriter writer = new RequestLogWriter(observed.dataSource(), 10_000, 20, 20);
        for (RequestRecord r : rows("req_close", 200)) {
            assertTrue(writer.offer(r));
        }
        assertTrue(writer.pending() > 0, "rows still buffered when close is called");

        writer.close();

        assertEquals(200, writer.written());
        assertEquals(0, writer.pending());
        assertEquals(200, count(db, null));
    }

    @Test
    void closeWithTheDatabaseDownGivesUpInsteadOfHanging() throws Exception {
        ObservedDataSource observed = new ObservedDataSource(null);
        observed.down = true;
        RequestLogWriter writer = new RequestLogWriter(observed.dataSource(), 100, 10, 20);
        for (RequestRecord r : rows("req_close_down", 30)) {
            writer.offer(r);
        }
        try (LogCapture capture = LogCapture.attach()) {
            assertTimeoutPreemptively(Duration.ofSeconds(5), () -> writer.close(3000));
            assertTrue(capture.lines().stream().anyMatch(l -> l.contains("not written") || l.contains("unwritten")),
                    "rows lost at shutdown are logged: " + capture.lines());
        }
        assertEquals(0, writer.written());
    }

    // ---- retries never duplicate ------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgresql"})
    void aBatchRetriedAfterItWasCommittedIsWrittenOnce(String engine) throws Exception {
        Database db = database(engine);
        ObservedDataSource observed = new ObservedDataSource(db.dataSource());
        observed.failAfterNextExecute.set(true); // the first batch commits, but the writer is told it failed
        RequestLogWriter writer = writer(observed.dataSource(), 100, 50, 20);
        for (RequestRecord r : rows("req_retry", 10)) {
            assertTrue(writer.offer(r));
        }
        await("10 rows reported written", Duration.ofSeconds(10), () -> writer.written() == 10);
        assertTrue(observed.executions.get() >= 2, "the failed batch was retried");
        assertEquals(10, count(db, null));
        assertEquals(10, count(db, "request_id LIKE 'req_retry_%'"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"h2", "postgresql"})
    void theSameRequestOfferedTwiceYieldsOneRow(String engine) throws Exception {
        Database db = database(engine);
        RequestLogWriter writer = writer(db.dataSource(), 100, 50, 20);
        writer.offer(row("req_twice"));
        writer.offer(row("req_other"));
        writer.offer(row("req_twice"));
        await("three offers processed", Duration.ofSeconds(10), () -> writer.written() == 3);
        writer.offer(row("req_twice")); // and again in a later batch
        await("the fourth processed", Duration.ofSeconds(10), () -> writer.written() == 4);
        assertEquals(1, count(db, "request_id = 'req_twice'"));
        assertEquals(2, count(db, null));
    }

    @Test
    void journaled_rows_survive_a_database_outage_and_the_end_of_the_writer(@org.junit.jupiter.api.io.TempDir java.nio.file.Path journal)
            throws Exception {
        Database db = database("h2");
        AtomicBoolean down = new AtomicBoolean(true);
        DataSource flaky = (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    if (down.get() && method.getName().equals("getConnection")) {
                        throw new SQLException("database down");
                    }
                    try {
                        return method.invoke(db.dataSource(), args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        RequestLogWriter first = new RequestLogWriter(flaky, 100, 10, 20, journal);
        for (RequestRecord r : rows("req_journal", 30)) {
            assertTrue(first.offer(r), "accepted while the database is down");
        }
        await("the 30 rows wait in the journal", Duration.ofSeconds(5), () -> first.spilled() == 30);
        first.close(2000);
        assertEquals(0, count(db, null), "nothing reached the database");

        down.set(false);
        RequestLogWriter second = new RequestLogWriter(flaky, 100, 10, 20, journal);
        toClose.add(() -> second.close(2000));
        await("the next writer writes the journaled rows", Duration.ofSeconds(10), () -> {
            try {
                return count(db, "request_id LIKE 'req_journal_%'") == 30;
            } catch (SQLException e) {
                return false;
            }
        });
        await("the journal emptied", Duration.ofSeconds(5), () -> second.spilled() == 0);
        try (var left = java.nio.file.Files.list(journal)) {
            assertEquals(0, left.count(), "no segment left once written");
        }
    }
}
