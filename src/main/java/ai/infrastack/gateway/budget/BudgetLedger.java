package ai.infrastack.gateway.budget;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * Spend against period budgets, in the database, so every instance shares it. Reserve and settle
 * each run in one transaction that first locks the budgets' {@code budget_lock} rows (in one global
 * order, so never a deadlock) with {@code SELECT … FOR UPDATE}: a second request for the same
 * budget waits until the first has committed, then sees its rows. Nothing is updated in place:
 * every change is a {@code budget_ledger} row, and spent / reserved are sums over the period.
 * A reservation not settled within its time to live (a crashed instance's) is expired by the next
 * reservation of that budget, which appends the row that gives it back.
 */
public final class BudgetLedger {
    private static final int SCALE = 8;
    /** A budget period's holds past their time to live with no closing row (parameters: scope, period start, now). */
    private static final String EXPIRED_OPEN_HOLDS = " FROM budget_ledger r"
            + " WHERE r.scope_type = ? AND r.scope_id = ? AND r.period = ? AND r.period_start = ? AND r.kind = 'reserve'"
            + " AND r.expires_at < ? AND NOT EXISTS (SELECT 1 FROM budget_ledger x WHERE x.reservation_id = r.reservation_id"
            + " AND x.scope_type = r.scope_type AND x.scope_id = r.scope_id AND x.period = r.period AND x.kind <> 'reserve')";

    /** Budgets held for one request, and what was held. */
    public record Reservation(String id, List<BudgetScope> scopes, Map<BudgetScope, Instant> periodStarts, BigDecimal amount) {}

    /** A budget that cannot take the request. */
    public record Refusal(BudgetScope scope, BigDecimal limit, BigDecimal spent, BigDecimal reserved, Instant reset) {
        public BigDecimal remaining() {
            return limit.subtract(spent).subtract(reserved).max(BigDecimal.ZERO);
        }
    }

    /** Either a reservation or the budget that refused it. */
    public record Outcome(Reservation reservation, Refusal refusal) {}

    /** A settled amount that crossed a threshold: to be announced once. */
    public record Crossing(BudgetScope scope, BigDecimal threshold, BigDecimal spent) {}

    /** Announces crossings inside the settling transaction (the webhook outbox). */
    public interface CrossingSink {
        void crossed(Connection c, Crossing crossing) throws SQLException;
    }

    /** A budget as {@code GET /api/v1/budgets} shows it. */
    public record Status(String id, BudgetScope scope, BigDecimal limit, List<BigDecimal> thresholds, BigDecimal spent,
                         BigDecimal reserved, Instant periodStart, Instant reset) {}

    /** A configured limit. */
    public record Limit(String id, BudgetScope scope, BigDecimal limit, List<BigDecimal> thresholds) {}

    private final DataSource dataSource;
    private final Duration reservationTtl;
    private final Set<BudgetScope> knownLocks = ConcurrentHashMap.newKeySet();
    /**
     * Transactions that wait on a budget's lock hold a pooled connection meanwhile: at most this many
     * at once, the rest queue here rather than starve the pool (whose short timeout means "database down").
     */
    private final Semaphore transactions;
    private final long queueTimeoutMs;

    public BudgetLedger(DataSource dataSource, Duration reservationTtl, int concurrentTransactions, long queueTimeoutMs) {
        this.dataSource = dataSource;
        this.reservationTtl = reservationTtl;
        this.transactions = new Semaphore(concurrentTransactions, true);
        this.queueTimeoutMs = queueTimeoutMs;
    }

    private interface Transaction<T> {
        T run(Connection c) throws SQLException;
    }

    /** One transaction, queued for a turn first; rolled back on any failure. */
    private <T> T inTransaction(Transaction<T> work) throws SQLException {
        try {
            if (!transactions.tryAcquire(queueTimeoutMs, TimeUnit.MILLISECONDS)) {
                throw new SQLTransientException("no budget transaction slot within " + queueTimeoutMs + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLTransientException("interrupted while queued for a budget transaction");
        }
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } finally {
            transactions.release();
        }
    }

    /** The configured limits that apply to this attribution (its key, user and project, each period). */
    public List<Limit> limitsFor(Attribution a) throws SQLException {
        List<Limit> all = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT id, scope_type, scope_id, period, limit_usd, alert_thresholds FROM budget_limit"
                     + " WHERE (scope_type = 'key' AND scope_id = ?) OR (scope_type = 'user' AND scope_id = ?) OR (scope_type = 'project' AND scope_id = ?)")) {
            ps.setString(1, a.keyId());
            ps.setString(2, a.userId() == null ? null : BudgetScope.userScopeId(a.projectId(), a.userId()));
            ps.setString(3, a.projectId());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    all.add(limit(rs));
                }
            }
        }
        return all;
    }

    /**
     * Holds {@code amount} on every scope at once, or on none: refused when any limited scope's
     * spent + reserved + amount would pass its limit. Scopes without a limit are tracked only.
     */
    public Outcome reserve(List<BudgetScope> scopes, BigDecimal amount, String requestId) throws SQLException {
        List<BudgetScope> ordered = scopes.stream().distinct().sorted(BudgetScope.LOCK_ORDER).toList();
        BigDecimal held = amount.setScale(SCALE, RoundingMode.CEILING);
        Instant now = Instant.now();
        ensureLocks(ordered);
        return inTransaction(c -> {
            lock(c, ordered);
            Map<BudgetScope, Instant> starts = new LinkedHashMap<>();
            for (BudgetScope s : ordered) {
                Instant start = s.period().start(now);
                starts.put(s, start);
                expireStale(c, s, start, now);
                BigDecimal limit = limitOf(c, s);
                if (limit != null) {
                    BigDecimal[] sums = sums(c, s, start);
                    if (sums[0].add(sums[1]).add(held).compareTo(limit) > 0) {
                        // Nothing was reserved; the expiries above are kept (they are true either way).
                        return new Outcome(null, new Refusal(s, limit, sums[0], sums[1], s.period().reset(now)));
                    }
                }
            }
            String id = "rsv_" + UUID.randomUUID().toString().replace("-", "");
            for (BudgetScope s : ordered) {
                append(c, id, s, starts.get(s), "reserve", held, BigDecimal.ZERO, now.plus(reservationTtl), requestId, now);
            }
            return new Outcome(new Reservation(id, ordered, starts, held), null);
        });
    }

    /**
     * Charges {@code charged} (at most what was held) and gives the rest back; then announces, in the
     * same transaction, every threshold the period's spend has reached and that has not fired yet.
     * {@code extraThresholds} are a request's own (budget.cost_alert_threshold) per scope.
     */
    public void settle(Reservation r, BigDecimal charged, Map<BudgetScope, List<BigDecimal>> extraThresholds,
                       CrossingSink sink) throws SQLException {
        BigDecimal spent = charged.setScale(SCALE, RoundingMode.HALF_EVEN).min(r.amount());
        close(r, "settle", spent, extraThresholds, sink);
    }

    /** Gives the whole reservation back (the call failed before any usage). */
    public void release(Reservation r) throws SQLException {
        close(r, "release", BigDecimal.ZERO, Map.of(), null);
    }

    private void close(Reservation r, String kind, BigDecimal spent, Map<BudgetScope, List<BigDecimal>> extraThresholds,
                       CrossingSink sink) throws SQLException {
        Instant now = Instant.now();
        inTransaction(c -> {
            lock(c, r.scopes());
            for (BudgetScope s : r.scopes()) {
                Instant start = r.periodStarts().get(s);
                // Already expired: the hold was given back then; the spend is still real.
                BigDecimal giveBack = closed(c, r.id(), s) ? BigDecimal.ZERO : r.amount().negate();
                append(c, r.id(), s, start, kind, giveBack, spent, null, null, now);
                if (sink != null && spent.signum() > 0) {
                    announce(c, s, start, extraThresholds.getOrDefault(s, List.of()), sink, now);
                }
            }
            return null;
        });
    }

    private void announce(Connection c, BudgetScope s, Instant start, List<BigDecimal> extra, CrossingSink sink, Instant now)
            throws SQLException {
        List<BigDecimal> thresholds = new ArrayList<>(extra);
        Limit limit = limitRow(c, s);
        if (limit != null) {
            thresholds.addAll(limit.thresholds());
        }
        if (thresholds.isEmpty()) {
            return;
        }
        BigDecimal spent = sums(c, s, start)[0];
        for (BigDecimal t : thresholds.stream().map(x -> x.setScale(SCALE, RoundingMode.HALF_EVEN)).distinct().sorted().toList()) {
            if (spent.compareTo(t) >= 0 && !fired(c, s, start, t)) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO budget_alert_fired (scope_type, scope_id, period,"
                        + " period_start, threshold, fired_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                    bindScope(ps, s, 1);
                    ps.setTimestamp(4, Timestamp.from(start));
                    ps.setBigDecimal(5, t);
                    ps.setTimestamp(6, Timestamp.from(now));
                    ps.executeUpdate();
                }
                sink.crossed(c, new Crossing(s, t, spent));
            }
        }
    }

    /** Every configured budget with its current period's spend (all of them, or those of one attribution). */
    public List<Status> status(Attribution only) throws SQLException {
        List<Limit> limits = only == null ? allLimits() : limitsFor(only);
        Instant now = Instant.now();
        List<Status> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            for (Limit l : limits) {
                Instant start = l.scope().period().start(now);
                BigDecimal[] sums = sums(c, l.scope(), start, now);
                out.add(new Status(l.id(), l.scope(), l.limit(), l.thresholds(), sums[0], sums[1], start, l.scope().period().reset(now)));
            }
        }
        return out;
    }

    /** Sets (or replaces) a scope's limit and thresholds; returns its id. */
    public String setLimit(BudgetScope s, BigDecimal limit, List<BigDecimal> thresholds) throws SQLException {
        String joined = String.join(",", thresholds.stream().map(BigDecimal::toPlainString).toList());
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                Limit existing = limitRow(c, s);
                if (existing != null) {
                    try (PreparedStatement ps = c.prepareStatement("UPDATE budget_limit SET limit_usd = ?, alert_thresholds = ? WHERE id = ?")) {
                        ps.setBigDecimal(1, limit);
                        ps.setString(2, joined);
                        ps.setString(3, existing.id());
                        ps.executeUpdate();
                    }
                    c.commit();
                    return existing.id();
                }
                String id = "bud_" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO budget_limit (id, scope_type, scope_id, period, limit_usd,"
                        + " alert_thresholds, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                    ps.setString(1, id);
                    bindScope(ps, s, 2);
                    ps.setBigDecimal(5, limit);
                    ps.setString(6, joined);
                    ps.setTimestamp(7, Timestamp.from(Instant.now()));
                    ps.executeUpdate();
                }
                c.commit();
                return id;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /** Removes a limit (its spend rows stay). False when unknown. */
    public boolean deleteLimit(String id) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("DELETE FROM budget_limit WHERE id = ?")) {
            ps.setString(1, id);
            return ps.executeUpdate() == 1;
        }
    }

    private List<Limit> allLimits() throws SQLException {
        List<Limit> all = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT id, scope_type, scope_id, period, limit_usd, alert_thresholds FROM budget_limit"
                     + " ORDER BY scope_type, scope_id, period");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                all.add(limit(rs));
            }
        }
        return all;
    }

    /** Lock rows are made once per scope, outside the transaction (a duplicate from another instance is fine). */
    private void ensureLocks(List<BudgetScope> scopes) throws SQLException {
        for (BudgetScope s : scopes) {
            if (knownLocks.contains(s)) {
                continue;
            }
            try (Connection c = dataSource.getConnection();
                 PreparedStatement ps = c.prepareStatement("INSERT INTO budget_lock (scope_type, scope_id, period) VALUES (?, ?, ?)")) {
                bindScope(ps, s, 1);
                ps.executeUpdate();
            } catch (SQLException e) {
                if (!"23505".equals(e.getSQLState())) {
                    throw e;
                }
            }
            knownLocks.add(s);
        }
    }

    private static void lock(Connection c, List<BudgetScope> ordered) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT scope_id FROM budget_lock WHERE scope_type = ? AND scope_id = ? AND period = ? FOR UPDATE")) {
            for (BudgetScope s : ordered) {
                bindScope(ps, s, 1);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new SQLException("budget lock row missing for " + s.describe());
                    }
                }
            }
        }
    }

    /** Appends an expire row for each reservation of this budget past its time to live and still open. */
    private static void expireStale(Connection c, BudgetScope s, Instant start, Instant now) throws SQLException {
        List<Object[]> stale = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT r.reservation_id, r.reserved_delta" + EXPIRED_OPEN_HOLDS)) {
            bindScope(ps, s, 1);
            ps.setTimestamp(4, Timestamp.from(start));
            ps.setTimestamp(5, Timestamp.from(now));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    stale.add(new Object[] {rs.getString(1), rs.getBigDecimal(2)});
                }
            }
        }
        for (Object[] row : stale) {
            append(c, (String) row[0], s, start, "expire", ((BigDecimal) row[1]).negate(), BigDecimal.ZERO, null, null, now);
        }
    }

    private static boolean closed(Connection c, String reservationId, BudgetScope s) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM budget_ledger WHERE reservation_id = ? AND scope_type = ?"
                + " AND scope_id = ? AND period = ? AND kind <> 'reserve'")) {
            ps.setString(1, reservationId);
            bindScope(ps, s, 2);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static boolean fired(Connection c, BudgetScope s, Instant start, BigDecimal t) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM budget_alert_fired WHERE scope_type = ? AND scope_id = ?"
                + " AND period = ? AND period_start = ? AND threshold = ?")) {
            bindScope(ps, s, 1);
            ps.setTimestamp(4, Timestamp.from(start));
            ps.setBigDecimal(5, t);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** {spent, reserved} of a scope's period. */
    private static BigDecimal[] sums(Connection c, BudgetScope s, Instant start) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(SUM(spent_delta), 0), COALESCE(SUM(reserved_delta), 0)"
                + " FROM budget_ledger WHERE scope_type = ? AND scope_id = ? AND period = ? AND period_start = ?")) {
            bindScope(ps, s, 1);
            ps.setTimestamp(4, Timestamp.from(start));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new BigDecimal[] {rs.getBigDecimal(1), rs.getBigDecimal(2)};
            }
        }
    }

    /** {spent, reserved} as a reader sees it: reservations past their time to live count as given back. */
    private static BigDecimal[] sums(Connection c, BudgetScope s, Instant start, Instant now) throws SQLException {
        BigDecimal[] sums = sums(c, s, start);
        try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(SUM(r.reserved_delta), 0)" + EXPIRED_OPEN_HOLDS)) {
            bindScope(ps, s, 1);
            ps.setTimestamp(4, Timestamp.from(start));
            ps.setTimestamp(5, Timestamp.from(now));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                sums[1] = sums[1].subtract(rs.getBigDecimal(1));
            }
        }
        return sums;
    }

    private static BigDecimal limitOf(Connection c, BudgetScope s) throws SQLException {
        Limit l = limitRow(c, s);
        return l == null ? null : l.limit();
    }

    private static Limit limitRow(Connection c, BudgetScope s) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id, scope_type, scope_id, period, limit_usd, alert_thresholds FROM budget_limit"
                + " WHERE scope_type = ? AND scope_id = ? AND period = ?")) {
            bindScope(ps, s, 1);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? limit(rs) : null;
            }
        }
    }

    private static Limit limit(ResultSet rs) throws SQLException {
        List<BigDecimal> thresholds = new ArrayList<>();
        String t = rs.getString(6);
        if (t != null && !t.isBlank()) {
            for (String v : t.split(",")) {
                thresholds.add(new BigDecimal(v.trim()));
            }
        }
        return new Limit(rs.getString(1), new BudgetScope(rs.getString(2), rs.getString(3), Period.parse(rs.getString(4))),
                rs.getBigDecimal(5), thresholds);
    }

    private static void append(Connection c, String reservationId, BudgetScope s, Instant start, String kind, BigDecimal reserved,
                               BigDecimal spent, Instant expiresAt, String requestId, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO budget_ledger (reservation_id, scope_type, scope_id, period,"
                + " period_start, kind, reserved_delta, spent_delta, expires_at, request_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, reservationId);
            bindScope(ps, s, 2);
            ps.setTimestamp(5, Timestamp.from(start));
            ps.setString(6, kind);
            ps.setBigDecimal(7, reserved);
            ps.setBigDecimal(8, spent);
            ps.setTimestamp(9, expiresAt == null ? null : Timestamp.from(expiresAt));
            ps.setString(10, requestId);
            ps.setTimestamp(11, Timestamp.from(now));
            ps.executeUpdate();
        }
    }

    private static void bindScope(PreparedStatement ps, BudgetScope s, int first) throws SQLException {
        ps.setString(first, s.type());
        ps.setString(first + 1, s.id());
        ps.setString(first + 2, s.period().wireName());
    }
}
