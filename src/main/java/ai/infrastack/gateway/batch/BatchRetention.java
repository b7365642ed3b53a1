package ai.infrastack.gateway.batch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import ai.infrastack.gateway.storage.OlderThanPurge;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Deletes batches that finished (completed, failed or cancelled) longer ago than the retention, with their
 * items, one transaction each run. A batch not finished is never deleted, however old. Run by the
 * batches-retention timer (routes/batches.yaml).
 */
public final class BatchRetention {
    private static final Logger LOG = LoggerFactory.getLogger(BatchRetention.class);
    private static final String OLD = "SELECT id FROM batches WHERE finished_at IS NOT NULL AND finished_at < ?";
    private final OlderThanPurge purge;

    public BatchRetention(DataSource dataSource, Duration retention, Clock clock) {
        this.purge = new OlderThanPurge(dataSource, retention, clock, List.of(
                "DELETE FROM batch_items WHERE batch_id IN (" + OLD + ")",
                "DELETE FROM batches WHERE finished_at IS NOT NULL AND finished_at < ?"), 1);
    }

    /** Returns how many batches went. */
    public int purge() throws SQLException {
        Timestamp cutoff = purge.cutoff();
        int batches = purge.purge(cutoff);
        if (batches > 0) {
            LOG.info("Deleted {} batch(es) finished before {}", batches, cutoff.toInstant());
        }
        return batches;
    }
}
