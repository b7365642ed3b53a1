package ai.infrastack.gateway.budget;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;

/**
 * Which period budgets apply to a request. While no budget is configured anywhere (checked at most
 * every {@code refresh}), requests skip the database altogether; a budget set on another instance
 * applies here within that time, one set here at once.
 */
public final class BudgetLimits {
    private final BudgetLedger ledger;
    private final DataSource dataSource;
    private final long refreshNanos;
    private volatile long checkedAt;
    private volatile Boolean any;

    public BudgetLimits(BudgetLedger ledger, DataSource dataSource, Duration refresh) {
        this.ledger = ledger;
        this.dataSource = dataSource;
        this.refreshNanos = refresh.toNanos();
    }

    public List<BudgetLedger.Limit> applying(Attribution a) throws SQLException {
        return anyConfigured() ? ledger.limitsFor(a) : List.of();
    }

    /** A budget was set or removed here. */
    public void changed() {
        any = null;
    }

    private boolean anyConfigured() throws SQLException {
        Boolean known = any;
        if (known != null && System.nanoTime() - checkedAt < refreshNanos) {
            return known;
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT 1 FROM budget_limit LIMIT 1");
             ResultSet rs = ps.executeQuery()) {
            known = rs.next();
        } catch (SQLException e) {
            if (known == null || known) {
                throw e;
            }
            // None were configured when last seen: keep serving without budgets while the database is away.
            return false;
        }
        any = known;
        checkedAt = System.nanoTime();
        return known;
    }
}
