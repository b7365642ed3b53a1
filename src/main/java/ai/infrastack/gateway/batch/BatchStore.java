package ai.infrastack.gateway.batch;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Batches and their items in the database, the only place their state lives, so any instance can
 * take over a batch. An item is claimed under a lease inside a transaction that locks its batch's
 * row, so the claims of all instances are serialised per batch: at most the batch's
 * {@code max_concurrent} items hold a live lease at once, and one item is never leased twice. A
 * result is stored only by the lease's holder, and a stored item is never claimed again.
 */
final class BatchStore {
    static final String PENDING = "pending";
    static final String RUNNING = "running";

    private static final String SUMMARY = "SELECT b.id, b.key_id, b.status, b.max_concurrent, b.return_individual_costs,"
            + " b.webhook_url, b.total_requests, b.created_at, b.started_at, b.finished_at,"
            + " (SELECT COUNT(*) FROM batch_items i WHERE i.batch_id = b.id AND i.state = 'completed') AS n_completed,"
            + " (SELECT COUNT(*) FROM batch_items i WHERE i.batch_id = b.id AND i.state = 'failed') AS n_failed,"
            + " (SELECT COUNT(*) FROM batch_items i WHERE i.batch_id = b.id AND i.state = 'cancelled') AS n_cancelled,"
            + " (SELECT SUM(i.cost) FROM batch_items i WHERE i.batch_id = b.id) AS cost"
            + " FROM batches b";

    private final DataSource dataSource;

    BatchStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * An item leased to this instance: run it, then {@link #store} its outcome. {@code requestId}: the id of
     * the call an earlier attempt started (null when none did), which the runner looks up before it runs the
     * item again.
     */
    record Claimed(String batchId, int index, String keyId, String requestJson, String requestId) {
    }

    /** Stores the batch and all its items in one transaction (all or nothing). */
    void create(String id, String keyId, NewBatch batch, Instant now) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO batches (id, key_id, status, max_concurrent,"
                        + " return_individual_costs, webhook_url, total_requests, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                    ps.setString(1, id);
                    ps.setString(2, keyId);
                    ps.setString(3, BatchSummary.QUEUED);
                    ps.setInt(4, batch.maxConcurrent());
                    ps.setBoolean(5, batch.returnIndividualCosts());
                    ps.setString(6, batch.webhookUrl());
                    ps.setInt(7, batch.items().size());
                    ps.setTimestamp(8, Timestamp.from(now));
                    ps.executeUpdate();
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO batch_items (batch_id, item_index, custom_id,"
                        + " request_body, state, attempts) VALUES (?, ?, ?, ?, ?, 0)")) {
                    for (int i = 0; i < batch.items().size(); i++) {
                        NewBatch.Item item = batch.items().get(i);
                        ps.setString(1, id);
                        ps.setInt(2, i);
                        ps.setString(3, item.customId());
                        ps.setString(4, item.requestJson());
                        ps.setString(5, PENDING);
                        ps.addBatch();
                        if (i % 500 == 499) {
                            ps.executeBatch();
                        }
                    }
                    ps.executeBatch();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    Optional<BatchSummary> summary(String id) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(SUMMARY + " WHERE b.id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(summary(rs)) : Optional.empty();
            }
        }
    }

    /** The newest batches first; of one key, or of every key when {@code keyId} is null. */
    List<BatchSummary> list(String keyId, int limit) throws SQLException {
        String sql = SUMMARY + (keyId == null ? "" : " WHERE b.key_id = ?") + " ORDER BY b.created_at DESC, b.id LIMIT " + limit;
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            if (keyId != null) {
                ps.setString(1, keyId);
            }
            List<BatchSummary> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(summary(rs));
                }
            }
            return out;
        }
    }

    /** Every item's outcome, in request order. */
    List<ItemResult> results(String id) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT item_index, custom_id, state, http_status, response_body, cost,"
                     + " request_id FROM batch_items WHERE batch_id = ? ORDER BY item_index")) {
            ps.setString(1, id);
            List<ItemResult> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new ItemResult(rs.getInt(1), rs.getString(2), rs.getString(3), (Integer) rs.getObject(4, Integer.class),
                            rs.getString(5), rs.getBigDecimal(6), rs.getString(7)));
                }
            }
            return out;
        }
    }

    /** Batches not yet finished, oldest first: the work any instance may pick up. */
    List<String> unfinished() throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT id FROM batches WHERE finished_at IS NULL ORDER BY created_at, id");
             ResultSet rs = ps.executeQuery()) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }

    /**
     * Leases the batch's first item that is pending, or whose lease ran out (its instance died), unless the
     * batch is not running (cancelled, finished) or already has {@code max_concurrent} live leases.
     */
    Optional<Claimed> claim(String batchId, String owner, Instant now, Instant leaseUntil) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                Optional<Claimed> claimed = claim(c, batchId, owner, now, leaseUntil);
                c.commit();
                return claimed;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private static Optional<Claimed> claim(Connection c, String batchId, String owner, Instant now, Instant leaseUntil)
            throws SQLException {
        String keyId;
        String status;
        int max;
        // The row lock serialises every instance's claims on this batch.
        try (PreparedStatement ps = c.prepareStatement("SELECT key_id, status, max_concurrent FROM batches WHERE id = ? FOR UPDATE")) {
            ps.setString(1, batchId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                keyId = rs.getString(1);
                status = rs.getString(2);
                max = rs.getInt(3);
            }
        }
        if (!BatchSummary.QUEUED.equals(status) && !BatchSummary.IN_PROGRESS.equals(status)) {
            return Optional.empty();
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM batch_items WHERE batch_id = ? AND state = ?"
                + " AND lease_until >= ?")) {
            ps.setString(1, batchId);
            ps.setString(2, RUNNING);
            ps.setTimestamp(3, Timestamp.from(now));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getInt(1) >= max) {
                    return Optional.empty();
                }
            }
        }
        int index;
        String request;
        String requestId;
        try (PreparedStatement ps = c.prepareStatement("SELECT item_index, request_body, request_id FROM batch_items WHERE batch_id = ?"
                + " AND (state = ? OR (state = ? AND lease_until < ?)) ORDER BY item_index LIMIT 1")) {
            ps.setString(1, batchId);
            ps.setString(2, PENDING);
            ps.setString(3, RUNNING);
            ps.setTimestamp(4, Timestamp.from(now));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                index = rs.getInt(1);
                request = rs.getString(2);
                requestId = rs.getString(3);
            }
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE batch_items SET state = ?, lease_owner = ?, lease_until = ?,"
                + " attempts = attempts + 1 WHERE batch_id = ? AND item_index = ?")) {
            ps.setString(1, RUNNING);
            ps.setString(2, owner);
            ps.setTimestamp(3, Timestamp.from(leaseUntil));
            ps.setString(4, batchId);
            ps.setInt(5, index);
            ps.executeUpdate();
        }
        if (BatchSummary.QUEUED.equals(status)) {
            try (PreparedStatement ps = c.prepareStatement("UPDATE batches SET status = ?, started_at = ? WHERE id = ?")) {
                ps.setString(1, BatchSummary.IN_PROGRESS);
                ps.setTimestamp(2, Timestamp.from(now));
                ps.setString(3, batchId);
                ps.executeUpdate();
            }
        }
        return Optional.of(new Claimed(batchId, index, keyId, request, requestId));
    }

    /**
     * Stores an item's outcome if this instance still holds its lease; false when it does not (the lease ran
     * out and another instance took the item over), in which case the outcome is not stored.
     */
    boolean store(Claimed item, String owner, String state, int httpStatus, String body, BigDecimal cost,
                  String requestId, Instant now) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE batch_items SET state = ?, http_status = ?, response_body = ?,"
                     + " cost = ?, request_id = ?, finished_at = ?, lease_owner = NULL, lease_until = NULL"
                     + " WHERE batch_id = ? AND item_index = ? AND state = ? AND lease_owner = ?")) {
            ps.setString(1, state);
            ps.setInt(2, httpStatus);
            ps.setString(3, body);
            if (cost == null) {
                ps.setNull(4, Types.NUMERIC);
            } else {
                ps.setBigDecimal(4, cost);
            }
            ps.setString(5, requestId);
            ps.setTimestamp(6, Timestamp.from(now));
            ps.setString(7, item.batchId());
            ps.setInt(8, item.index());
            ps.setString(9, RUNNING);
            ps.setString(10, owner);
            return ps.executeUpdate() == 1;
        }
    }

    /**
     * Notes the request id a call of the item is about to run under, before it is sent: if the instance dies
     * now, whoever takes the item over looks that id up rather than sending the item blind. False when the
     * lease is no longer this instance's.
     */
    boolean startCall(Claimed item, String owner, String requestId) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE batch_items SET request_id = ?"
                     + " WHERE batch_id = ? AND item_index = ? AND state = ? AND lease_owner = ?")) {
            ps.setString(1, requestId);
            ps.setString(2, item.batchId());
            ps.setInt(3, item.index());
            ps.setString(4, RUNNING);
            ps.setString(5, owner);
            return ps.executeUpdate() == 1;
        }
    }

    /** Extends every lease this instance holds (its heartbeat); returns how many. */
    int renewLeases(String owner, Instant until) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE batch_items SET lease_until = ? WHERE lease_owner = ? AND state = ?")) {
            ps.setTimestamp(1, Timestamp.from(until));
            ps.setString(2, owner);
            ps.setString(3, RUNNING);
            return ps.executeUpdate();
        }
    }

    /** Gives an item back (this instance is stopping before it ran it): another claim takes it as new. */
    void release(Claimed item, String owner) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE batch_items SET state = ?, lease_owner = NULL, lease_until = NULL"
                     + " WHERE batch_id = ? AND item_index = ? AND state = ? AND lease_owner = ?")) {
            ps.setString(1, PENDING);
            ps.setString(2, item.batchId());
            ps.setInt(3, item.index());
            ps.setString(4, RUNNING);
            ps.setString(5, owner);
            ps.executeUpdate();
        }
    }

    /**
     * Cancels a running batch: it takes no new claim, and its items not started are cancelled (items in
     * flight finish and keep their results). False when the batch had already finished or was cancelled.
     */
    boolean cancel(String batchId, Instant now) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                int changed;
                try (PreparedStatement ps = c.prepareStatement("UPDATE batches SET status = ? WHERE id = ? AND status IN (?, ?)")) {
                    ps.setString(1, BatchSummary.CANCELLED);
                    ps.setString(2, batchId);
                    ps.setString(3, BatchSummary.QUEUED);
                    ps.setString(4, BatchSummary.IN_PROGRESS);
                    changed = ps.executeUpdate();
                }
                if (changed == 1) {
                    try (PreparedStatement ps = c.prepareStatement("UPDATE batch_items SET state = ?, finished_at = ?"
                            + " WHERE batch_id = ? AND state = ?")) {
                        ps.setString(1, BatchSummary.CANCELLED);
                        ps.setTimestamp(2, Timestamp.from(now));
                        ps.setString(3, batchId);
                        ps.setString(4, PENDING);
                        ps.executeUpdate();
                    }
                }
                c.commit();
                return changed == 1;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /**
     * Finishes the batch once no item is left to run: completed (failed when every item failed), or kept
     * cancelled — an item of a cancelled batch whose instance died before answering is cancelled too.
     * Returns the finished batch to the one caller that finished it, empty to every other.
     */
    Optional<BatchSummary> finish(String batchId, Instant now) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                String status;
                try (PreparedStatement ps = c.prepareStatement("SELECT status FROM batches WHERE id = ? AND finished_at IS NULL FOR UPDATE")) {
                    ps.setString(1, batchId);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            c.rollback();
                            return Optional.empty();
                        }
                        status = rs.getString(1);
                    }
                }
                if (BatchSummary.CANCELLED.equals(status)) {
                    try (PreparedStatement ps = c.prepareStatement("UPDATE batch_items SET state = ?, finished_at = ?"
                            + " WHERE batch_id = ? AND state = ? AND lease_until < ?")) {
                        ps.setString(1, BatchSummary.CANCELLED);
                        ps.setTimestamp(2, Timestamp.from(now));
                        ps.setString(3, batchId);
                        ps.setString(4, RUNNING);
                        ps.setTimestamp(5, Timestamp.from(now));
                        ps.executeUpdate();
                    }
                }
                int unfinished;
                int completed;
                try (PreparedStatement ps = c.prepareStatement("SELECT SUM(CASE WHEN state IN (?, ?) THEN 1 ELSE 0 END),"
                        + " SUM(CASE WHEN state = ? THEN 1 ELSE 0 END), COUNT(*) FROM batch_items WHERE batch_id = ?")) {
                    ps.setString(1, PENDING);
                    ps.setString(2, RUNNING);
                    ps.setString(3, BatchSummary.COMPLETED);
                    ps.setString(4, batchId);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        unfinished = rs.getInt(1);
                        completed = rs.getInt(2);
                    }
                }
                if (unfinished > 0) {
                    c.rollback();
                    return Optional.empty();
                }
                String finalStatus = BatchSummary.CANCELLED.equals(status) ? status
                        : completed == 0 ? BatchSummary.FAILED : BatchSummary.COMPLETED;
                try (PreparedStatement ps = c.prepareStatement("UPDATE batches SET status = ?, finished_at = ? WHERE id = ?")) {
                    ps.setString(1, finalStatus);
                    ps.setTimestamp(2, Timestamp.from(now));
                    ps.setString(3, batchId);
                    ps.executeUpdate();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
        return summary(batchId);
    }

    void markNotified(String batchId, Instant now) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE batches SET notified_at = ? WHERE id = ?")) {
            ps.setTimestamp(1, Timestamp.from(now));
            ps.setString(2, batchId);
            ps.executeUpdate();
        }
    }

    private static BatchSummary summary(ResultSet rs) throws SQLException {
        BigDecimal cost = rs.getBigDecimal("cost");
        return new BatchSummary(rs.getString("id"), rs.getString("key_id"), rs.getString("status"), rs.getInt("max_concurrent"),
                rs.getBoolean("return_individual_costs"), rs.getString("webhook_url"), rs.getInt("total_requests"),
                rs.getInt("n_completed"), rs.getInt("n_failed"), rs.getInt("n_cancelled"), cost == null ? BigDecimal.ZERO : cost,
                instant(rs, "created_at"), instant(rs, "started_at"), instant(rs, "finished_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        Timestamp t = rs.getTimestamp(column);
        return t == null ? null : t.toInstant();
    }
}
