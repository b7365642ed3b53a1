package ai.infrastack.gateway.analytics;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes request-log rows in batches on its own thread, off the request path: {@link #offer} never
 * waits for the database. With a journal ({@link RequestJournal}) every row is first appended to a
 * local owner-only file, before the request's answer is written, and waits in memory for the next
 * batch; a batch written to the database deletes its journal segment. While the database is down
 * rows wait only in the journal, and a crash at any moment loses none: what the database did not
 * get is replayed when it answers again, at the latest at the next start. Without a journal, rows
 * wait in a bounded memory buffer. A row that can be kept nowhere is dropped, counted and logged.
 * {@link #close} flushes.
 */
public final class RequestLogWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RequestLogWriter.class);
    // ON CONFLICT DO NOTHING makes a retried batch (or a replayed journal segment) harmless.
    private static final String INSERT = "INSERT INTO request_log (request_id, created_at, key_id, user_id, project_id,"
            + " tracking_id, requested_model, served_model, provider, status, error_type, prompt_tokens,"
            + " completion_tokens, cached_tokens, input_cost, output_cost, total_cost, latency_ms, ttfb_ms, cache_hit,"
            + " fallback_used, routing_strategy, streamed, error_message, attempts)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
    private static final long IDLE_CHECK_NANOS = 5_000_000_000L;
    /**
     * How long a row may wait for company before it is written, by default. A commit per request
     * cost a writer wake-up plus a transaction for every request at low rates; this bounds how
     * stale the log is instead.
     */
    static final long FLUSH_INTERVAL_MS = 100;
    private final long flushIntervalNanos;

    private final DataSource dataSource;
    private final BlockingQueue<RequestRecord> buffer;
    private final int batchSize;
    private final long retryDelayMs;
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final RequestJournal journal;
    /** Held while a row goes to the journal and the buffer, and while the writer seals and drains. */
    private final ReentrantLock stage = new ReentrantLock();
    /** Sealed journal segments whose rows the database has not confirmed, oldest first. */
    private final Deque<Path> unconfirmed = new ArrayDeque<>();
    private final AtomicLong unconfirmedRows = new AtomicLong();
    private boolean overflowed;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean databaseDown;
    private volatile long lastContactNanos = System.nanoTime();

    /** Memory buffer only: rows wait there while the database is down, and a full buffer drops. */
    public RequestLogWriter(DataSource dataSource, int capacity, int batchSize, long retryDelayMs) {
        this(dataSource, capacity, batchSize, retryDelayMs, FLUSH_INTERVAL_MS, null);
    }

    /** Memory buffer only, written every {@code flushIntervalMs} (or as soon as a full batch waits). */
    public RequestLogWriter(DataSource dataSource, int capacity, int batchSize, long retryDelayMs, long flushIntervalMs) {
        this(dataSource, capacity, batchSize, retryDelayMs, flushIntervalMs, null);
    }

    /** With every row journaled in {@code journalDir} (created owner-only) before it is accepted. */
    public RequestLogWriter(DataSource dataSource, int capacity, int batchSize, long retryDelayMs, Path journalDir) {
        this(dataSource, capacity, batchSize, retryDelayMs, FLUSH_INTERVAL_MS, journalDir);
    }

    public RequestLogWriter(DataSource dataSource, int capacity, int batchSize, long retryDelayMs, long flushIntervalMs,
                            Path journalDir) {
        this.flushIntervalNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, flushIntervalMs));
        this.dataSource = dataSource;
        this.buffer = new ArrayBlockingQueue<>(capacity);
        this.batchSize = batchSize;
        this.retryDelayMs = retryDelayMs;
        try {
            this.journal = journalDir == null ? null : new RequestJournal(journalDir);
            if (journal != null) {
                for (Path left : journal.leftOver()) {
                    unconfirmed.add(left);
                    unconfirmedRows.addAndGet(RequestJournal.rows(left));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("Cannot use the request-log journal " + journalDir + ": " + e.getMessage(), e);
        }
        if (unconfirmedRows.get() > 0) {
            LOG.warn("{} request-log row(s) journaled by an earlier run are not in the database yet; writing them",
                    unconfirmedRows.get());
        }
        this.thread = new Thread(this::run, "request-log-writer");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Accepts a row. With a journal, the row is on disk when this returns, whatever the database
     * does. Never waits for the database. Returns false, and counts the loss, only when the row
     * could be kept nowhere.
     */
    public boolean offer(RequestRecord record) {
        if (journal == null) {
            if (buffer.offer(record)) {
                if (buffer.size() == batchSize) {
                    LockSupport.unpark(thread);
                }
                return true;
            }
            lost(1);
            return false;
        }
        stage.lock();
        try {
            journal.append(record);
            // While the database is down the journal alone holds rows; a full buffer leaves the row
            // in its segment, which is then replayed rather than deleted.
            if (databaseDown || !buffer.offer(record)) {
                overflowed = true;
            } else if (buffer.size() == batchSize) {
                LockSupport.unpark(thread); // a full batch is waiting: no reason to let it grow stale
            }
            return true;
        } catch (IOException e) {
            LOG.error("Request log journal unwritable ({}); keeping the row in memory only", e.getMessage());
            if (buffer.offer(record)) {
                return true;
            }
            lost(1);
            return false;
        } finally {
            stage.unlock();
        }
    }

    private void lost(int rows) {
        long lost = dropped.addAndGet(rows);
        if (lost == rows || lost / 1000 != (lost - rows) / 1000) {
            LOG.error("Request log buffer full ({} rows waiting): {} row(s) lost so far", buffer.size(), lost);
        }
    }

    public long written() {
        return written.get();
    }

    public long dropped() {
        return dropped.get();
    }

    /** Rows waiting in memory for the next batch. */
    public int pending() {
        return buffer.size();
    }

    /** Rows on disk that the database has not taken yet (it was down, or an earlier run died). */
    public long spilled() {
        return unconfirmedRows.get();
    }

    /** Whether the last attempt to reach the database (a write, or an idle check) succeeded. */
    public boolean databaseUp() {
        return !databaseDown;
    }

    private void run() {
        List<RequestRecord> batch = new ArrayList<>(batchSize);
        while (true) {
            Path segment = null;
            try {
                if (!unconfirmed.isEmpty()) {
                    replayUnconfirmed();
                }
                boolean replaySegment;
                if (batch.isEmpty()) {
                    if (running && buffer.size() < batchSize) {
                        // Rows gather for the flush interval: one transaction per batch, not per request.
                        LockSupport.parkNanos(this, flushIntervalNanos);
                        if (Thread.interrupted()) {
                            running = false; // flush what is buffered, then stop
                        }
                    }
                    stage.lock();
                    try {
                        // With a journal the batch is the whole sealed segment; without one the
                        // writer holds at most a batch, the rest waits in the bounded buffer.
                        buffer.drainTo(batch, journal == null ? batchSize - batch.size() : Integer.MAX_VALUE);
                        segment = journal == null ? null : journal.seal();
                        replaySegment = overflowed;
                        overflowed = false;
                    } finally {
                        stage.unlock();
                    }
                    if (replaySegment && segment != null) {
                        // Some of its rows are not in memory: the segment itself is what to write.
                        batch.clear();
                        confirmLater(segment);
                        continue;
                    }
                }
                if (batch.isEmpty()) {
                    if (!running) {
                        return;
                    }
                    checkWhenIdle();
                    continue;
                }
                writeAll(batch);
                batch.clear();
                if (segment != null) {
                    journal.delete(segment);
                }
                reachable();
            } catch (SQLException | IOException e) {
                unreachable(e);
                if (journal != null) {
                    // The rows are in the journal: retried from there, not from memory.
                    batch.clear();
                    if (segment != null) {
                        confirmLater(segment);
                    }
                    sealUnwrittenSegmentsAfterFailure();
                }
                if (!running) {
                    if (!batch.isEmpty() || !buffer.isEmpty()) {
                        LOG.error("Shutting down with the database unavailable: {} request log row(s) not written",
                                batch.size() + buffer.size());
                    }
                    return;
                }
                sleep(retryDelayMs);
            }
        }
    }

    /** After a failed batch: the rows now in memory are in the open segment too; seal it for replay. */
    private void sealUnwrittenSegmentsAfterFailure() {
        stage.lock();
        try {
            buffer.clear();
            overflowed = false;
            Path segment = journal.seal();
            if (segment != null) {
                confirmLater(segment);
            }
        } catch (IOException e) {
            LOG.error("Request log journal could not be sealed: {}", e.getMessage());
        } finally {
            stage.unlock();
        }
    }

    private void confirmLater(Path segment) {
        unconfirmed.add(segment);
        unconfirmedRows.addAndGet(RequestJournal.rows(segment));
    }

    /** Writes the unconfirmed segments to the database, oldest first; throws, keeping the rest, if it is down. */
    private void replayUnconfirmed() throws IOException, SQLException {
        long replayed = 0;
        while (!unconfirmed.isEmpty()) {
            Path segment = unconfirmed.peek();
            long rows = RequestJournal.rows(segment);
            journal.replay(segment, batchSize, this::writeAll);
            unconfirmed.poll();
            unconfirmedRows.addAndGet(-rows);
            replayed += rows;
        }
        reachable();
        if (replayed > 0 && LOG.isInfoEnabled()) {
            LOG.info("Request log: {} journaled row(s) written to the database", replayed);
        }
    }

    private void writeAll(List<RequestRecord> rows) throws SQLException {
        for (int i = 0; i < rows.size(); i += batchSize) {
            List<RequestRecord> chunk = rows.subList(i, Math.min(rows.size(), i + batchSize));
            write(chunk);
            written.addAndGet(chunk.size());
        }
    }

    /** With no rows to write for a while, checks the database is still there (for health). */
    private void checkWhenIdle() throws SQLException {
        if (!databaseDown && System.nanoTime() - lastContactNanos < IDLE_CHECK_NANOS) {
            return;
        }
        if (databaseDown) {
            sleep(retryDelayMs);
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
            LOG.info("Request log database is back");
        }
    }

    private void unreachable(Exception e) {
        lastContactNanos = System.nanoTime();
        if (!databaseDown) {
            databaseDown = true;
            LOG.error("Request log database unavailable ({}); rows wait in the {} until it returns", e.getMessage(),
                    journal == null ? "memory buffer" : "journal");
        }
    }

    /** One batch, one transaction. */
    private void write(List<RequestRecord> batch) throws SQLException {
        if (batch.isEmpty()) {
            return;
        }
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
                ps.setString(24, r.errorMessage());
                ps.setString(25, r.attempts());
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
        if (journal != null) {
            stage.lock();
            try {
                journal.close();
            } finally {
                stage.unlock();
            }
            if (!buffer.isEmpty() || unconfirmedRows.get() > 0) {
                LOG.warn("Request log closed with the database unavailable: the rows stay in the journal for the next start");
            }
        } else if (!buffer.isEmpty()) {
            LOG.error("Request log closed with {} row(s) unwritten", buffer.size());
        }
    }

    @Override
    public void close() {
        close(10_000);
    }
}
