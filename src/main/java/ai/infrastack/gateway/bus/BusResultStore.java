package ai.infrastack.gateway.bus;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;

/**
 * The bus_result table: one row per bus item taken on, written before its call with the request id the
 * call runs under, then holding its answer until it was produced and beyond.
 */
public final class BusResultStore {
    private final DataSource dataSource;

    public BusResultStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Takes the item on under {@code requestId}, before its call; false when a row for it exists already. */
    public boolean take(String messageId, String requestId) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO bus_result (message_id, request_id, produced, created_at)"
                     + " VALUES (?, ?, FALSE, ?)")) {
            ps.setString(1, messageId);
            ps.setString(2, requestId);
            ps.setTimestamp(3, Timestamp.from(Instant.now()));
            ps.executeUpdate();
            return true;
        } catch (SQLException e) {
            if (duplicate(e)) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Takes over an item taken on as {@code seen} that left no answer: only one redelivery wins (the row must be
     * unchanged since it was read), and it runs the item under {@code requestId}.
     */
    public boolean takeOver(String messageId, Kept seen, String requestId) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE bus_result SET request_id = ?, created_at = ? WHERE message_id = ?"
                     + " AND status IS NULL AND request_id = ? AND created_at = ?")) {
            ps.setString(1, requestId);
            ps.setTimestamp(2, Timestamp.from(Instant.now()));
            ps.setString(3, messageId);
            ps.setString(4, seen.requestId());
            ps.setTimestamp(5, Timestamp.from(seen.takenAt()));
            return ps.executeUpdate() == 1;
        }
    }

    /** Keeps the answer; false when one is already kept for that message (the first one stands). */
    public boolean keep(String messageId, BusResult result) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("UPDATE bus_result SET request_id = ?, status = ?, total_cost = ?, body = ?"
                    + " WHERE message_id = ? AND status IS NULL")) {
                ps.setString(1, result.requestId());
                ps.setInt(2, result.status());
                ps.setString(3, result.totalCost());
                ps.setString(4, result.body());
                ps.setString(5, messageId);
                if (ps.executeUpdate() == 1) {
                    return true;
                }
            }
            // Answered already, or never taken on here (its row was purged): a row of its own, unless one exists.
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO bus_result (message_id, request_id, status, total_cost,"
                    + " body, produced, created_at) VALUES (?, ?, ?, ?, ?, FALSE, ?)")) {
                ps.setString(1, messageId);
                ps.setString(2, result.requestId());
                ps.setInt(3, result.status());
                ps.setString(4, result.totalCost());
                ps.setString(5, result.body());
                ps.setTimestamp(6, Timestamp.from(Instant.now()));
                ps.executeUpdate();
                return true;
            } catch (SQLException e) {
                if (duplicate(e)) {
                    return false;
                }
                throw e;
            }
        }
    }

    public Optional<Kept> find(String messageId) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT request_id, status, total_cost, body, produced, created_at FROM bus_result WHERE message_id = ?")) {
            ps.setString(1, messageId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                Integer status = rs.getObject(2, Integer.class);
                BusResult result = status == null ? null : new BusResult(rs.getString(1), status, rs.getString(3), rs.getString(4));
                return Optional.of(new Kept(rs.getString(1), result, rs.getBoolean(5), rs.getTimestamp(6).toInstant()));
            }
        }
    }

    public void markProduced(String messageId) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE bus_result SET produced = TRUE WHERE message_id = ?")) {
            ps.setString(1, messageId);
            ps.executeUpdate();
        }
    }

    private static boolean duplicate(SQLException e) {
        return e.getSQLState() != null && e.getSQLState().startsWith("23"); // integrity: a row exists
    }

    /**
     * An item's row: the request id its call runs (or ran) under, its answer once kept (null while the call is
     * running, or when the attempt died with its instance), whether that answer reached the bus, and when the
     * item was taken on.
     */
    public record Kept(String requestId, BusResult result, boolean produced, Instant takenAt) {
        public boolean answered() {
            return result != null;
        }
    }
}
