package ai.infrastack.gateway.analytics;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.ResponseHeaders;
import ai.infrastack.gateway.auth.Caller;
import ai.infrastack.gateway.core.Cost;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code GET /api/v1/analytics/usage}: usage and cost over a period, from the request log.
 *
 * <p>Scope: the master key (an admin caller) sees every row; any other key sees only its own
 * project's rows when it is bound to a project, else its own user's, else its own key's. A filter
 * naming another project or user than the key's own is refused with 403.
 *
 * <p>Costs are summed by the database in NUMERIC and carried as {@link BigDecimal}, so the total
 * equals the sum of what the clients were charged to the last decimal. The three statements run
 * in one read-only, repeatable-read transaction, so totals, breakdowns and series agree.
 */
public final class UsageAnalytics implements Processor {
    private static final Logger LOG = LoggerFactory.getLogger(UsageAnalytics.class);
    private static final int TOP_MODELS = 10;
    /** The spec's fields first, in the spec's order, then ours. */
    private static final List<String> FIELD_ORDER = List.of("period", "start_time", "end_time", "total_requests",
            "total_cost", "avg_latency_ms", "cost_by_provider", "top_models", "total_tokens", "error_count", "cache_hits",
            "latency_p50_ms", "latency_p95_ms", "series");

    private static final String TOTALS = "SELECT count(*), sum(total_cost), avg(latency_ms),"
            + " percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms),"
            + " percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms),"
            + " sum(prompt_tokens), sum(completion_tokens), sum(cached_tokens),"
            + " count(*) FILTER (WHERE status >= 400), count(*) FILTER (WHERE cache_hit = TRUE)"
            + " FROM request_log WHERE ";
    private static final String BY_MODEL = "SELECT provider, served_model, count(*), sum(total_cost)"
            + " FROM request_log WHERE %s GROUP BY provider, served_model";
    /** Rows grouped by whole grains since the report's start; Java folds the grains into buckets. */
    private static final String SERIES = "SELECT grain, count(*), sum(total_cost), sum(tokens) FROM ("
            + "SELECT FLOOR((EXTRACT(EPOCH FROM created_at) - CAST(? AS NUMERIC(20, 6))) / %d) AS grain,"
            + " total_cost, prompt_tokens + completion_tokens AS tokens FROM request_log WHERE %s) t GROUP BY grain";

    private final DataSource dataSource;
    private final ObjectMapper mapper;

    public UsageAnalytics(DataSource dataSource, ObjectMapper mapper) {
        this.dataSource = dataSource;
        this.mapper = mapper;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        Caller caller = exchange.getProperty(ExchangeKeys.CALLER, Caller.class);
        if (caller == null) {
            throw GatewayException.of(ErrorType.AUTHENTICATION, "Missing API key").code("invalid_api_key").build();
        }
        UsageQuery query = UsageQuery.parse(exchange.getMessage().getHeader(Exchange.HTTP_QUERY, String.class), Instant.now());
        Where where = where(caller, query);
        ObjectNode report;
        try {
            report = report(query, where);
        } catch (SQLException e) {
            LOG.warn("Usage analytics query failed: {}", e.toString());
            throw GatewayException.of(ErrorType.SERVER, "Usage analytics are unavailable right now; try again shortly")
                    .status(503).code("database_unavailable").build();
        }
        ResponseHeaders.reset(exchange, 200);
        exchange.getMessage().setBody(mapper.writeValueAsBytes(report));
    }

    /** The caller's scope and the client's filters, as SQL conditions with their bind values. */
    static Where where(Caller caller, UsageQuery q) {
        Where w = new Where();
        w.add("created_at >= ?", OffsetDateTime.ofInstant(q.start(), ZoneOffset.UTC));
        w.add("created_at < ?", OffsetDateTime.ofInstant(q.end(), ZoneOffset.UTC));
        if (!caller.admin()) {
            refuseOther("project_id", q.projectId(), caller.projectId());
            refuseOther("user_id", q.userId(), caller.userId());
            if (caller.projectId() != null) {
                w.add("project_id = ?", caller.projectId());
            } else if (caller.userId() != null) {
                w.add("user_id = ?", caller.userId());
            } else {
                w.add("key_id = ?", caller.keyId());
            }
        }
        if (q.projectId() != null) {
            w.add("project_id = ?", q.projectId());
        }
        if (q.userId() != null) {
            w.add("user_id = ?", q.userId());
        }
        if (q.model() != null) {
            w.add("served_model = ?", q.model());
        }
        if (q.provider() != null) {
            w.add("provider = ?", q.provider());
        }
        return w;
    }

    private static void refuseOther(String param, String asked, String own) {
        if (asked != null && own != null && !asked.equals(own)) {
            throw GatewayException.of(ErrorType.PERMISSION, "This API key may read only its own " + param
                    .replace("_id", "") + "'s usage").param(param).code("analytics_scope").build();
        }
    }

    private ObjectNode report(UsageQuery q, Where where) throws SQLException {
        ObjectNode root = mapper.createObjectNode();
        root.put("period", q.period().wireName());
        root.put("start_time", q.start().toString());
        root.put("end_time", q.end().toString());
        try (Connection c = dataSource.getConnection()) {
            c.setReadOnly(true);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setAutoCommit(false);
            try {
                totals(c, where, root);
                byModel(c, where, root);
                series(c, q, where, root);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
        ObjectNode ordered = mapper.createObjectNode();
        for (String field : FIELD_ORDER) {
            ordered.set(field, root.get(field));
        }
        return ordered;
    }

    private static void totals(Connection c, Where where, ObjectNode root) throws SQLException {
        try (PreparedStatement ps = where.prepare(c, TOTALS + where.sql(), 1); ResultSet rs = ps.executeQuery()) {
            rs.next();
            long requests = rs.getLong(1);
            root.put("total_requests", requests);
            root.put("total_cost", money(rs.getBigDecimal(2)));
            root.put("avg_latency_ms", millis(rs.getBigDecimal(3)));
            root.put("latency_p50_ms", millis(rs.getBigDecimal(4)));
            root.put("latency_p95_ms", millis(rs.getBigDecimal(5)));
            ObjectNode tokens = root.putObject("total_tokens");
            tokens.put("prompt", rs.getLong(6));
            tokens.put("completion", rs.getLong(7));
            tokens.put("cached", rs.getLong(8));
            root.put("error_count", rs.getLong(9));
            root.put("cache_hits", rs.getLong(10));
        }
    }

    private static void byModel(Connection c, Where where, ObjectNode root) throws SQLException {
        Map<String, BigDecimal> byProvider = new HashMap<>();
        Map<String, ModelUsage> byModel = new HashMap<>();
        try (PreparedStatement ps = where.prepare(c, String.format(BY_MODEL, where.sql()), 1); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String provider = rs.getString(1);
                String model = rs.getString(2);
                long count = rs.getLong(3);
                BigDecimal cost = orZero(rs.getBigDecimal(4));
                // Rows of requests that never reached a model (bad key, unknown model) have neither.
                if (provider != null) {
                    byProvider.merge(provider, cost, BigDecimal::add);
                }
                if (model != null) {
                    byModel.computeIfAbsent(model, ModelUsage::new).add(count, cost);
                }
            }
        }
        ObjectNode providers = root.putObject("cost_by_provider");
        byProvider.entrySet().stream()
                .sorted(Map.Entry.<String, BigDecimal>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> providers.put(e.getKey(), money(e.getValue())));
        ArrayNode top = root.putArray("top_models");
        byModel.values().stream()
                .sorted(Comparator.comparingLong((ModelUsage m) -> m.count()).reversed()
                        .thenComparing(ModelUsage::cost, Comparator.reverseOrder())
                        .thenComparing(ModelUsage::model))
                .limit(TOP_MODELS)
                .forEach(m -> top.addObject().put("model", m.model()).put("usage_count", m.count()).put("cost", money(m.cost())));
    }

    private static void series(Connection c, UsageQuery q, Where where, ObjectNode root) throws SQLException {
        List<Instant> starts = q.bucketStarts();
        int n = starts.size();
        long[] requests = new long[n];
        long[] tokens = new long[n];
        BigDecimal[] cost = new BigDecimal[n];
        Arrays.fill(cost, BigDecimal.ZERO);
        long grainSeconds = q.period().groupingSeconds();
        BigDecimal startEpoch = BigDecimal.valueOf(q.start().getEpochSecond())
                .add(BigDecimal.valueOf(q.start().getNano(), 9)).setScale(6, RoundingMode.UNNECESSARY);
        String sql = String.format(SERIES, grainSeconds, where.sql());
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setBigDecimal(1, startEpoch);
            where.bind(ps, 2);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next() && n > 0) {
                    Instant grainStart = q.start().plusSeconds(Math.multiplyExact(rs.getLong(1), grainSeconds));
                    int i = bucketOf(starts, grainStart);
                    requests[i] += rs.getLong(2);
                    cost[i] = cost[i].add(orZero(rs.getBigDecimal(3)));
                    tokens[i] += rs.getLong(4);
                }
            }
        }
        ArrayNode series = root.putArray("series");
        for (int i = 0; i < n; i++) {
            series.addObject()
                    .put("start_time", starts.get(i).toString())
                    .put("requests", requests[i])
                    .put("cost", money(cost[i]))
                    .put("tokens", tokens[i]);
        }
    }

    /** The bucket holding {@code t}: the last one starting at or before it (clamped to the range). */
    static int bucketOf(List<Instant> starts, Instant t) {
        int i = Collections.binarySearch(starts, t);
        if (i < 0) {
            i = -i - 2; // insertion point - 1
        }
        return Math.max(0, Math.min(starts.size() - 1, i));
    }

    /** A sum of costs as clients see costs: 8 decimals at most, no trailing zeros; nothing is 0. */
    private static BigDecimal money(BigDecimal v) {
        return Cost.rendered(orZero(v));
    }

    private static BigDecimal orZero(BigDecimal v) {
        return v == null ? BigDecimal.ZERO : v;
    }

    private static long millis(BigDecimal v) {
        return v == null ? 0 : v.setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    /** SQL conditions joined with AND, and their bind values in order. */
    static final class Where {
        private final List<String> conditions = new ArrayList<>();
        private final List<Object> values = new ArrayList<>();

        void add(String condition, Object value) {
            conditions.add(condition);
            values.add(Objects.requireNonNull(value));
        }

        String sql() {
            return String.join(" AND ", conditions);
        }

        PreparedStatement prepare(Connection c, String sql, int firstIndex) throws SQLException {
            PreparedStatement ps = c.prepareStatement(sql);
            try {
                bind(ps, firstIndex);
            } catch (SQLException e) {
                ps.close();
                throw e;
            }
            return ps;
        }

        void bind(PreparedStatement ps, int firstIndex) throws SQLException {
            for (int i = 0; i < values.size(); i++) {
                ps.setObject(firstIndex + i, values.get(i));
            }
        }
    }

    private static final class ModelUsage {
        private final String model;
        private long count;
        private BigDecimal cost = BigDecimal.ZERO;

        ModelUsage(String model) {
            this.model = model;
        }

        void add(long n, BigDecimal c) {
            count += n;
            cost = cost.add(c);
        }

        String model() { return model; }
        long count() { return count; }
        BigDecimal cost() { return cost; }
    }
}
