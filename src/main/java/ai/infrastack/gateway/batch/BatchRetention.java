package ai.infrastack.gateway.batch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;

/**
 * Deletes batches that finished (completed, failed or cancelled) longer ago than the retention, with their
 * items, one transaction each run. A batch not finished is never deleted, however old. Run by the
 * batches-retention timer (routes/batches.yaml).
 */
public final class BatchRetention {
    private static final Logger LOG = LoggerFactory.getLogger(BatchRetention.class);
    private static final String OLD = "SELECT id FROM batches WHERE finished_at IS NOT NULL AND finished_at < ?";
    private final DataSource dataSource;
    private final Duration retention;
    private final Clock clock;

    public BatchRetention(DataSource dataSource, Duration retention, Clock clock) {
        this.dataSource = dataSource;
        this.retention = retention;
        this.clock = clock;
    }

    /** Returns how many batches went. */
    public int purge() throws SQLException {
        Timestamp cutoff = Timestamp.from(clock.instant().minus(retention));
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM batch_items WHERE batch_id IN (" + OLD + ")")) {
                    ps.setTimestamp(1, cutoff);
                    ps.executeUpdate();
                }
                int batches;
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM batches WHERE finished_at IS NOT NULL AND finished_at < ?")) {
                    ps.setTimestamp(1, cutoff);
                    batches = ps.executeUpdate();
                }
                c.commit();
                if (batches > 0) {
                    LOG.info("Deleted {} batch(es) finished before {}", batches, cutoff.toInstant());
                }
                return batches;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }
}
