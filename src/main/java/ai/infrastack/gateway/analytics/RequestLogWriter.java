package ai.infrastack.gateway.analytics;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes request-log rows in batches on its own thread, off the request path. {@link #offer} never
 * blocks and never wakes the writer for a single row: it appends to a lock-free queue. The writer
 * wakes every flush interval (or as soon as a full batch waits) and writes what has
 * gathered in one transaction — one commit per batch, not per request, at any request rate. Rows
 * wait in the bounded buffer also while the database is down and are written once it is back. When
 * the buffer is full a row is dropped, counted and logged. {@link #close} flushes.
 */
public final class RequestLogWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RequestLogWriter.class);
    /**
     * How long a row may wait for company before it is written, by default. A commit per request
     * cost a writer wake-up plus a transaction for every request at low rates (the profile of issue
     * 14); this bounds how stale the log is instead.
     */
    static final long FLUSH_INTERVAL_MS = 100;
    // ON CONFLICT DO NOTHING makes a retried batch harmless: a row is written once.
    private static final String INSERT = "INSERT INTO request_log (request_id, created_at, key_id, user_id, project_id,"
            + " tracking_id, requested_model, served_model, provider, status, error_type, prompt_tokens,"
            + " completion_tokens, cached_tokens, input_cost, output_cost, total_cost, latency_ms, ttfb_ms, cache_hit,"
            + " fallback_used, routing_strategy, streamed)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";

    private final DataSource dataSource;
    private final Queue<RequestRecord> buffer = new ConcurrentLinkedQueue<>();
    /** Rows in {@link #buffer}; ConcurrentLinkedQueue.size() would walk the queue. */
    private final AtomicInteger buffered = new AtomicInteger();
    private final int capacity;
    private final int batchSize;
    private final long retryDelayMs;
    private final long flushIntervalNanos;
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean databaseDown;

    public RequestLogWriter(DataSource dataSource, int capacity, int batchSize, long retryDelayMs) {
        this(dataSource, capacity, batchSize, retryDelayMs, FLUSH_INTERVAL_MS);
    }

    public RequestLogWriter(DataSource dataSource, int capacity, int batchSize, long retryDelayMs, long flushIntervalMs) {
        this.flushIntervalNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, flushIntervalMs));
        this.dataSource = dataSource;
        this.capacity = capacity;
        this.batchSize = batchSize;
        this.retryDelayMs = retryDelayMs;
        this.thread = new Thread(this::run, "request-log-writer");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Queues a row; returns false (and counts the loss) when the buffer is full. Never blocks. */
    public boolean offer(RequestRecord record) {
        int n = buffered.incrementAndGet();
        if (n > capacity) {
            buffered.decrementAndGet();
            long lost = dropped.incrementAndGet();
            if (lost == 1 || lost % 1000 == 0) {
                LOG.error("Request log buffer full ({} rows waiting): {} row(s) lost so far", buffered.get(), lost);
            }
            return false;
        }
        buffer.offer(record);
        if (n == batchSize) {
            LockSupport.unpark(thread); // a full batch is waiting: no reason to let it grow stale
        }
        return true;
    }

    public long written() {
        return written.get();
    }

    public long dropped() {
        return dropped.get();
    }

    public int pending() {
        return buffered.get();
    }

    private void run() {
        List<RequestRecord> batch = new ArrayList<>(batchSize);
        while (running || buffered.get() > 0 || !batch.isEmpty()) {
            if (batch.isEmpty()) {
                if (running && buffered.get() < batchSize) {
                    LockSupport.parkNanos(this, flushIntervalNanos);
                    if (Thread.interrupted()) {
                        running = false; // flush what is buffered, then stop
                    }
                }
                drainTo(batch);
                if (batch.isEmpty()) {
                    continue;
                }
            }
            try {
                write(batch);
                written.addAndGet(batch.size());
                batch.clear();
                if (databaseDown) {
                    databaseDown = false;
                    LOG.info("Request log database is back; {} row(s) still buffered", buffered.get());
                }
            } catch (SQLException e) {
                // Keep the batch and try again: rows wait in memory, requests go on.
                if (!databaseDown) {
                    databaseDown = true;
                    LOG.error("Request log database unavailable ({}); buffering rows until it returns", e.getMessage());
                }
                if (!running) {
                    LOG.error("Shutting down with the database unavailable: {} request log row(s) not written",
                            batch.size() + buffered.get());
                    return;
                }
                sleep(retryDelayMs);
            }
        }
    }

    private void drainTo(List<RequestRecord> batch) {
        RequestRecord r;
        while (batch.size() < batchSize && (r = buffer.poll()) != null) {
            batch.add(r);
            buffered.decrementAndGet();
        }
    }

    /** One batch, one transaction. */
    private void write(List<RequestRecord> batch) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                insert(c, batch);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException ignored) {
                    // the connection is broken anyway; the batch is retried on a new one
                }
                throw e;
            }
        }
    }

    private static void insert(Connection c, List<RequestRecord> batch) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(INSERT)) {
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
        LockSupport.unpark(thread);
        try {
            thread.join(timeoutMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (buffered.get() > 0) {
            LOG.error("Request log closed with {} row(s) unwritten", buffered.get());
        }
    }

    @Override
    public void close() {
        close(10_000);
    }
}
