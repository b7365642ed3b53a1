package ai.infrastack.gateway.storage;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Deletes what is older than a retention: each statement, in order and in one transaction, gets the
 * cutoff (now minus the retention) as its only parameter. Retention classes name what goes and why.
 */
public final class OlderThanPurge {
    private final DataSource dataSource;
    private final Duration retention;
    private final Clock clock;
    private final List<String> deletes;
    private final int counted;

    /** {@code counted}: the index of the statement whose deleted rows {@link #purge()} reports. */
    public OlderThanPurge(DataSource dataSource, Duration retention, Clock clock, List<String> deletes, int counted) {
        this.dataSource = dataSource;
        this.retention = retention;
        this.clock = clock;
        this.deletes = List.copyOf(deletes);
        this.counted = counted;
    }

    /** The cutoff this run uses. */
    public Timestamp cutoff() {
        return Timestamp.from(clock.instant().minus(retention));
    }

    /** Runs the deletes with this cutoff; returns the rows the counted statement deleted. */
    public int purge(Timestamp cutoff) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                int count = 0;
                for (int i = 0; i < deletes.size(); i++) {
                    try (PreparedStatement ps = c.prepareStatement(deletes.get(i))) {
                        ps.setTimestamp(1, cutoff);
                        int deleted = ps.executeUpdate();
                        if (i == counted) {
                            count = deleted;
                        }
                    }
                }
                c.commit();
                return count;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }
}
