package ai.infrastack.gateway.analytics;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes request-log rows in batches on its own thread, off the request path. {@link #offer} never
 * waits for the database: rows wait in a bounded memory buffer and are written in batches. While
 * the database is down, and whenever the buffer is full, rows go to a local append-only
 * {@link SpillFile} instead, so a crash loses none; they are replayed once the database answers
 * (at the latest at the next start). Only a row that can reach neither is dropped, counted and
 * logged. {@link #close} flushes.
 */
public final class RequestLogWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RequestLogWriter.class);
    // ON CONFLICT DO NOTHING makes a retried batch harmless: a row is written once.
    private static final String INSERT = "INSERT INTO request_log (request_id, created_at, key_id, user_id, project_id,"
            + " tracking_id, requested_model, served_model, provider, status, error_type, prompt_tokens,"
            + " completion_tokens, cached_tokens, input_cost, output_cost, total_cost, latency_ms, ttfb_ms, cache_hit,"
            + " fallback_used, routing_strategy, streamed)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

    private final DataSource dataSource;
    private final BlockingQueue<RequestRecord> buffer;
    private final int batchSize;
    private final long retryDelayMs;
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final SpillFile spill;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean databaseDown;
    private volatile long lastContactNanos = System.nanoTime();
    private static final long IDLE_CHECK_NANOS = 5_000_000_000L;

    /** Memory buffer only: rows wait there while the database is down, and a full buffer drops. */
    public RequestLogWriter(DataSource dataSource, int capacity, int batchSize, long retryDelayMs) {
        this(dataSource, capacity, batchSize, retryDelayMs, null);
    }

    /** With rows the database cannot take spilled to {@code spillFile} (created owner-only). */
    public RequestLogWriter(DataSource dataSource, int capacity, int batchSize, long retryDelayMs, Path spillFile) {
        this.dataSource = dataSource;
        this.buffer = new ArrayBlockingQueue<>(capacity);
        this.batchSize = batchSize;
        this.retryDelayMs = retryDelayMs;
        try {
            this.spill = spillFile == null ? null : new SpillFile(spillFile);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot use the request-log spill file " + spillFile + ": " + e.getMessage(), e);
        }
        if (spill != null && spill.rows() > 0) {
            LOG.warn("{} request-log row(s) spilled by an earlier run wait in {}; replaying them", spill.rows(), spillFile);
        }
        this.thread = new Thread(this::run, "request-log-writer");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Queues a row. Never waits for the database: while it is down the row is appended to the
     * spill file before this returns; otherwise it waits in memory (or spills when memory is
     * full). Returns false, and counts the loss, only when the row could be kept nowhere.
     */
    public boolean offer(RequestRecord record) {
        if (spill != null && databaseDown) {
            return spill(List.of(record));
        }
        if (buffer.offer(record)) {
            return true;
        }
        if (spill != null) {
            return spill(List.of(record));
        }
        lost(1);
        return false;
    }

    private boolean spill(List<RequestRecord> records) {
        try {
            spill.append(records);
            return true;
        } catch (IOException e) {
            LOG.error("Request log spill file unwritable: {}", e.getMessage());
            lost(records.size());
            return false;
        }
    }

    private void lost(int rows) {
        long lost = dropped.addAndGet(rows);
        if (lost == rows || lost / 1000 != (lost - rows) / 1000) {
            LOG.error("Request log buffer full ({} rows waiting): {} row(s) lost so far", buffer.size(), lost);
        }
    }

    /** Rows waiting in the spill file for the database. */
    public long spilled() {
        return spill == null ? 0 : spill.rows();
    }

    /** Whether the last attempt to reach the database (a write, or an idle check) succeeded. */
    public boolean databaseUp() {
        return !databaseDown;
    }

    public long written() {
        return written.get();
    }

    public long dropped() {
        return dropped.get();
    }

    public int pending() {
        return buffer.size();
    }

    private void run() {
        List<RequestRecord> batch = new ArrayList<>(batchSize);
        boolean replayed = spill == null;
        while (running || !buffer.isEmpty() || !batch.isEmpty()) {
            try {
                if (!replayed || databaseDown) {
                    if (databaseDown) {
                        sleep(retryDelayMs);
                    }
                    replaySpilled();
                    replayed = true;
                }
                if (batch.isEmpty()) {
                    RequestRecord first = buffer.poll(100, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        checkWhenIdle();
                        continue;
                    }
                    batch.add(first);
                    buffer.drainTo(batch, batchSize - 1);
                }
                write(batch);
                written.addAndGet(batch.size());
                batch.clear();
                reachable();
            } catch (SQLException | IOException e) {
                unreachable(e);
                if (spill != null) {
                    // Onto disk at once: a crash while the database is down must not lose them.
                    buffer.drainTo(batch);
                    if (spill(batch)) {
                        batch.clear();
                    }
                }
                if (!running) {
                    if (!batch.isEmpty() || !buffer.isEmpty()) {
                        LOG.error("Shutting down with the database unavailable: {} request log row(s) not written",
                                batch.size() + buffer.size());
                    }
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
            }
        }
    }

    /** Writes the spilled rows to the database; throws (keeping them) if it is still down. */
    private void replaySpilled() throws IOException, SQLException {
        if (spill == null) {
            if (databaseDown) {
                try (Connection c = dataSource.getConnection()) {
                    reachable();
                }
            }
            return;
        }
        long before = spill.rows();
        spill.replay(batchSize, rows -> {
            write(rows);
            written.addAndGet(rows.size());
        });
        reachable();
        if (before > 0) {
            LOG.info("Request log: {} spilled row(s) written to the database", before - spill.rows());
        }
    }

    /** With no rows to write for a while, checks the database is still there (for health). */
    private void checkWhenIdle() throws SQLException {
        if (System.nanoTime() - lastContactNanos < IDLE_CHECK_NANOS) {
            return;
        }
        try (Connection c = dataSource.getConnection()) {
            c.isValid(2);
        }
        reachable();
    }

    private void reachable() {
        lastContactNanos = System.nanoTime();
        if (databaseDown) {
            databaseDown = false;
            LOG.info("Request log database is back; {} row(s) buffered", buffer.size());
        }
    }

    private void unreachable(Exception e) {
        lastContactNanos = System.nanoTime();
        if (!databaseDown) {
            databaseDown = true;
            LOG.error("Request log database unavailable ({}); {} rows until it returns", e.getMessage(),
                    spill == null ? "buffering" : "spilling");
        }
    }

    private List<RequestRecord> drain() {
        List<RequestRecord> rows = new ArrayList<>();
        buffer.drainTo(rows);
        return rows;
    }

    private void write(List<RequestRecord> batch) throws SQLException {
        if (batch.isEmpty()) {
            return;
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(INSERT)) {
            for (RequestRecord r : batch) {
                ps.setString(1, r.requestId());
                ps.setTimestamp(2, Timestamp.from(r.createdAt()));
                ps.setString(3, r.keyId());
                ps.setString(4, r.userId());
                ps.setString(5, r.projectId());
                ps.setString(6, r.trackingId());
                ps.setString(7, r.requestedModel());
                ps.setString(8, r.servedModel());
                ps.setString(9, r.provider());
                ps.setInt(10, r.status());
                ps.setString(11, r.errorType());
                ps.setLong(12, r.promptTokens());
                ps.setLong(13, r.completionTokens());
                ps.setLong(14, r.cachedTokens());
                ps.setBigDecimal(15, r.inputCost());
                ps.setBigDecimal(16, r.outputCost());
                ps.setBigDecimal(17, r.totalCost());
                ps.setLong(18, r.latencyMs());
                if (r.ttfbMs() == null) {
                    ps.setNull(19, Types.BIGINT);
                } else {
                    ps.setLong(19, r.ttfbMs());
                }
                ps.setBoolean(20, r.cacheHit());
                ps.setBoolean(21, r.fallbackUsed());
                ps.setString(22, r.routingStrategy());
                ps.setBoolean(23, r.streamed());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops taking the buffer's rows only after writing them, waiting at most {@code timeoutMs}. */
    public void close(long timeoutMs) {
        running = false;
        try {
            thread.join(timeoutMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!buffer.isEmpty()) {
            if (spill != null && spill(drain())) {
                LOG.warn("Request log closed with the database unavailable: {} row(s) kept in the spill file", spill.rows());
            } else {
                LOG.error("Request log closed with {} row(s) unwritten", buffer.size());
            }
        }
        if (spill != null) {
            spill.close();
        }
    }

    @Override
    public void close() {
        close(10_000);
    }
}
