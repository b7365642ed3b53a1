package ai.infrastack.gateway.bus;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;

/** The bus_result table: each bus item's answer, kept until it was produced and beyond. */
public final class BusResultStore {
    private final DataSource dataSource;

    public BusResultStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Keeps the answer; false when one is already kept for that message (the first one stands). */
    public boolean keep(String messageId, BusResult result) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO bus_result (message_id, request_id, status, total_cost,"
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
            if (e.getSQLState() != null && e.getSQLState().startsWith("23")) { // integrity: already kept
                return false;
            }
            throw e;
        }
    }

    public Optional<Kept> find(String messageId) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "SELECT request_id, status, total_cost, body, produced FROM bus_result WHERE message_id = ?")) {
            ps.setString(1, messageId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Kept(new BusResult(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4)),
                        rs.getBoolean(5)));
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

    /** A kept answer and whether it already reached the bus. */
    public record Kept(BusResult result, boolean produced) {
    }
}
