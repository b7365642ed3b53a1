package ai.infrastack.gateway.recovery;

import ai.infrastack.gateway.analytics.RequestLogWriter;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Before interrupted work (a batch item, a bus message whose attempt left no answer) is run again under the
 * request id it was taken on with: did that attempt's call end? The budget ledger is written synchronously,
 * before the answer leaves the pipeline; the request log through a local journal first, so a crashed
 * instance's last rows reach the database only when it starts again and replays its journal. So the lookup
 * is {@link #decidable()} only once this instance's own journal has nothing waiting for the database (after
 * a restart: its replay is done); a row still sitting in the journal of another instance that died and was
 * not restarted is invisible here, and only the budget ledger (when a budget applies) tells of it.
 */
public final class ChargedCallLookup {
    private final DataSource dataSource;
    private final RequestLogWriter requestLog;

    public ChargedCallLookup(DataSource dataSource, RequestLogWriter requestLog) {
        this.dataSource = dataSource;
        this.requestLog = requestLog;
    }

    /** Whether the database holds every request-log row this instance (or its previous run) journaled. */
    public boolean decidable() {
        return requestLog == null || requestLog.spilled() == 0;
    }

    /** The call made under {@code requestId}, if the request log or the budget ledger has it. */
    public Optional<ChargedCall> find(String requestId) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT status, total_cost FROM request_log WHERE request_id = ?")) {
                ps.setString(1, requestId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return Optional.of(new ChargedCall(requestId, rs.getInt(1) == 200, rs.getBigDecimal(2)));
                    }
                }
            }
            // Settled but not (yet) in the request log: each scope's settle row carries the same spend.
            try (PreparedStatement ps = c.prepareStatement("SELECT MAX(s.spent_delta), COUNT(*) FROM budget_ledger s"
                    + " WHERE s.kind = 'settle' AND s.reservation_id IN"
                    + " (SELECT r.reservation_id FROM budget_ledger r WHERE r.request_id = ? AND r.kind = 'reserve')")) {
                ps.setString(1, requestId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getInt(2) > 0) {
                        BigDecimal spent = rs.getBigDecimal(1);
                        return Optional.of(new ChargedCall(requestId, true, spent));
                    }
                }
            }
        }
        return Optional.empty();
    }
}
