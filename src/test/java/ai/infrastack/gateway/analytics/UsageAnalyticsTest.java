package ai.infrastack.gateway.analytics;

import ai.infrastack.gateway.storage.Database;
import ai.infrastack.gateway.support.RunningGateway;
import ai.infrastack.gateway.support.TestDatabases;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.sql.DataSource;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /api/v1/analytics/usage} over real HTTP, on a gateway per database engine (a real
 * PostgreSQL and the embedded H2 default), so the analytics SQL is proven on both. Each test
 * tags its requests with its own project or user (a key bound to one, or the master key naming
 * one in {@code budget}), so the tests sharing a gateway never count each other's rows.
 */
class UsageAnalyticsTest {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final String MASTER = RunningGateway.MASTER_KEY;
    private static final String KEY_A = "sk-test-analytics-proj-a-0001";
    private static final String KEY_B = "sk-test-analytics-proj-b-0002";
    private static final String KEY_USER = "sk-test-analytics-user-c-0003";
    private static final String KEY_BARE = "sk-test-analytics-bare-d-0004";
    private static final Duration FLUSH_WAIT = Duration.ofSeconds(10);

    enum Engine {
        POSTGRES(TestDatabases::freshPostgres),
        H2(TestDatabases::freshH2);

        final Supplier<String> freshUrl;

        Engine(Supplier<String> freshUrl) {
            this.freshUrl = freshUrl;
        }
    }

    private static Path keysFile;
    private static final Map<Engine, RunningGateway> GATEWAYS = new EnumMap<>(Engine.class);

    @BeforeAll
    static void writeKeys() throws IOException {
        keysFile = Files.createTempFile("analytics-keys", ".yaml");
        Files.writeString(keysFile, """
                keys:
                  - {key: %s, tier: pro, user_id: u_a, project_id: proj_a}
                  - {key: %s, tier: pro, user_id: u_b, project_id: proj_b}
                  - {key: %s, tier: pro, user_id: u_c}
                  - {key: %s, tier: pro}
                """.formatted(KEY_A, KEY_B, KEY_USER, KEY_BARE));
    }

    @AfterAll
    static void stop() throws IOException {
        GATEWAYS.values().forEach(RunningGateway::close);
        GATEWAYS.clear();
        Files.deleteIfExists(keysFile);
    }

    /** One gateway per engine, started on first use and shared by the tests of that engine. */
    private static synchronized RunningGateway gateway(Engine engine) {
        return GATEWAYS.computeIfAbsent(engine, e -> RunningGateway.start(Map.of(
                "gateway.database.url", e.freshUrl.get(),
                "gateway.auth.keys-file", keysFile.toString())));
    }

    private static DataSource db(RunningGateway gw) {
        return gw.context().getRegistry().lookupByNameAndType("gatewayDatabase", Database.class).dataSource();
    }

    // ---- (a) 500 concurrent requests ------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Engine.class)
    void fiveHundredConcurrentRequestsAreLoggedOnceEachAndTotalsEqualTheSumOfTheirCosts(Engine engine) throws Exception {
        RunningGateway gw = gateway(engine);
        String tag = tag("load");
        int n = 500;
        List<Future<HttpResponse<String>>> futures = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try {
            for (int i = 0; i < n; i++) {
                String model = i % 2 == 0 ? "gpt-4o-mini" : "claude-3-haiku";
                String text = "Load request " + i + " " + "word ".repeat(i % 13);
                futures.add(pool.submit(() -> gw.post("/chat/completions", chat(model, text, budget("project_id", tag)), MASTER)));
            }
        } finally {
            pool.shutdown();
        }
        assertTrue(pool.awaitTermination(120, TimeUnit.SECONDS), "the 500 requests finished");

        BigDecimal total = BigDecimal.ZERO;
        Map<String, BigDecimal> byProvider = new HashMap<>();
        Map<String, Integer> countByModel = new HashMap<>();
        Map<String, BigDecimal> costByModel = new HashMap<>();
        long prompt = 0;
        long completion = 0;
        Set<String> requestIds = new HashSet<>();
        for (Future<HttpResponse<String>> f : futures) {
            HttpResponse<String> r = f.get();
            assertEquals(200, r.statusCode(), r.body());
            requestIds.add(r.headers().firstValue("X-Request-Id").orElseThrow());
            JsonNode body = JSON.readTree(r.body());
            BigDecimal cost = body.path("cost").path("total_cost").decimalValue();
            assertTrue(cost.signum() > 0, "a priced call costs something: " + r.body());
            total = total.add(cost);
            byProvider.merge(body.path("provider").asText(), cost, BigDecimal::add);
            countByModel.merge(body.path("model").asText(), 1, Integer::sum);
            costByModel.merge(body.path("model").asText(), cost, BigDecimal::add);
            prompt += body.path("usage").path("prompt_tokens").asLong();
            completion += body.path("usage").path("completion_tokens").asLong();
        }
        assertEquals(n, requestIds.size(), "every response has its own request id");

        assertEquals(n, awaitRows(gw, "project_id", tag, n), "request_log rows of the 500 requests");
        awaitWriterIdle(gw);
        assertEquals(n, countRows(gw, "project_id", tag), "still exactly 500 rows once the writer is idle");
        assertEquals(requestIds, requestIdsOf(gw, tag), "the logged request ids are the responses' X-Request-Id values");

        JsonNode report = usage(gw, MASTER, "project_id=" + tag);
        assertEquals(n, report.path("total_requests").asLong(), report.toString());
        assertMoney(total, report.path("total_cost"), "total_cost");
        assertEquals(Set.of("openai", "anthropic"), fieldNames(report.path("cost_by_provider")));
        assertMoney(byProvider.get("openai"), report.path("cost_by_provider").path("openai"), "openai cost");
        assertMoney(byProvider.get("anthropic"), report.path("cost_by_provider").path("anthropic"), "anthropic cost");
        assertEquals(2, report.path("top_models").size(), report.toString());
        for (JsonNode m : report.path("top_models")) {
            String model = m.path("model").asText();
            assertEquals(countByModel.get(model).longValue(), m.path("usage_count").asLong(), model);
            assertMoney(costByModel.get(model), m.path("cost"), model + " cost");
        }
        assertEquals(prompt, report.path("total_tokens").path("prompt").asLong());
        assertEquals(completion, report.path("total_tokens").path("completion").asLong());
        assertEquals(0, report.path("error_count").asLong());
        assertEquals(n, seriesRequests(report), "the series adds up to the total");
        assertMoney(total, seriesCost(report), "the series' costs add up to total_cost");
    }

    // ---- (b) errors -------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Engine.class)
    void failedRequestsAreLoggedWithStatusAndErrorTypeAndCountAsErrors(Engine engine) throws Exception {
        RunningGateway gw = gateway(engine);
        String tag = tag("err");
        BigDecimal okCost = BigDecimal.ZERO;
        for (int i = 0; i < 2; i++) {
            okCost = okCost.add(costOf(okChat(gw, MASTER, "gpt-4o-mini", "fine " + i, budget("project_id", tag))));
        }
        String errorType = null;
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = gw.post("/chat/completions", chat("no-such-model-" + tag, "hello", budget("project_id", tag)), MASTER);
            assertEquals(404, r.statusCode(), r.body());
            errorType = JSON.readTree(r.body()).path("error").path("type").asText();
        }
        assertEquals("not_found_error", errorType);

        assertEquals(5, awaitRows(gw, "project_id", tag, 5));
        try (Connection c = db(gw).getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT status, error_type, requested_model, served_model, total_cost"
                     + " FROM request_log WHERE project_id = ? AND status <> 200")) {
            ps.setString(1, tag);
            try (ResultSet rs = ps.executeQuery()) {
                int errors = 0;
                while (rs.next()) {
                    errors++;
                    assertEquals(404, rs.getInt(1));
                    assertEquals("not_found_error", rs.getString(2));
                    assertEquals("no-such-model-" + tag, rs.getString(3));
                    assertNull(rs.getString(4), "an unknown model is served by nobody");
                    assertNull(rs.getBigDecimal(5), "an unanswered request has no cost");
                }
                assertEquals(3, errors, "error rows");
            }
        }

        JsonNode report = usage(gw, MASTER, "project_id=" + tag);
        assertEquals(5, report.path("total_requests").asLong(), report.toString());
        assertEquals(3, report.path("error_count").asLong(), report.toString());
        assertMoney(okCost, report.path("total_cost"), "only the answered requests cost");
        assertEquals(1, report.path("top_models").size(), "requests that reached no model are in no model's count: " + report);
        assertEquals("gpt-4o-mini", report.path("top_models").get(0).path("model").asText());
        assertEquals(2, report.path("top_models").get(0).path("usage_count").asLong());
        assertEquals(Set.of("openai"), fieldNames(report.path("cost_by_provider")));
    }

    // ---- (c) isolation ----------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aProjectKeySeesOnlyItsProjectAndCannotAskForAnother(Engine engine) throws Exception {
        RunningGateway gw = gateway(engine);
        BigDecimal costA = BigDecimal.ZERO;
        for (int i = 0; i < 3; i++) {
            // A key bound to a project reports as it, whatever project its request names.
            costA = costA.add(costOf(okChat(gw, KEY_A, "gpt-4o-mini", "from A " + i, budget("project_id", "proj_b"))));
        }
        BigDecimal costB = BigDecimal.ZERO;
        for (int i = 0; i < 2; i++) {
            costB = costB.add(costOf(okChat(gw, KEY_B, "claude-3-haiku", "from B " + i, null)));
        }
        assertEquals(3, awaitRows(gw, "project_id", "proj_a", 3));
        assertEquals(2, awaitRows(gw, "project_id", "proj_b", 2));

        for (String q : new String[] {"", "project_id=proj_a", "user_id=u_a"}) {
            JsonNode a = usage(gw, KEY_A, q);
            assertEquals(3, a.path("total_requests").asLong(), q + " -> " + a);
            assertMoney(costA, a.path("total_cost"), "A's cost (" + q + ")");
            assertEquals(Set.of("openai"), fieldNames(a.path("cost_by_provider")), "A sees no anthropic spend: " + a);
            assertEquals(1, a.path("top_models").size());
            assertEquals("gpt-4o-mini", a.path("top_models").get(0).path("model").asText());
        }
        JsonNode b = usage(gw, KEY_B, "");
        assertEquals(2, b.path("total_requests").asLong(), b.toString());
        assertMoney(costB, b.path("total_cost"), "B's cost");
        assertEquals(Set.of("anthropic"), fieldNames(b.path("cost_by_provider")));

        JsonNode masterA = usage(gw, MASTER, "project_id=proj_a");
        assertEquals(3, masterA.path("total_requests").asLong());
        assertMoney(costA, masterA.path("total_cost"), "A's cost seen by the master key");
        JsonNode masterB = usage(gw, MASTER, "project_id=proj_b");
        assertEquals(2, masterB.path("total_requests").asLong());
        assertMoney(costB, masterB.path("total_cost"), "B's cost seen by the master key");
        JsonNode all = usage(gw, MASTER, "");
        assertTrue(all.path("total_requests").asLong() >= 5, all.toString());
        assertTrue(fieldNames(all.path("cost_by_provider")).containsAll(Set.of("openai", "anthropic")), all.toString());
        assertTrue(all.path("total_cost").decimalValue().compareTo(costA.add(costB)) >= 0, all.toString());

        assertForbidden(gw.get("/analytics/usage?project_id=proj_b", KEY_A), "project_id");
        assertForbidden(gw.get("/analytics/usage?user_id=u_b", KEY_A), "user_id");
        assertForbidden(gw.get("/analytics/usage?project_id=proj_a&period=hour", KEY_B), "project_id");
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aUserKeySeesItsUsersRowsAndAKeyWithNeitherSeesOnlyItsOwn(Engine engine) throws Exception {
        RunningGateway gw = gateway(engine);
        String other = tag("other");
        BigDecimal userCost = BigDecimal.ZERO;
        for (int i = 0; i < 2; i++) {
            userCost = userCost.add(costOf(okChat(gw, KEY_USER, "claude-3-haiku", "user key " + i, null)));
        }
        BigDecimal bareCost = BigDecimal.ZERO;
        for (int i = 0; i < 2; i++) {
            bareCost = bareCost.add(costOf(okChat(gw, KEY_BARE, "gpt-4o-mini", "bare key " + i, budget("project_id", other))));
        }
        okChat(gw, MASTER, "gpt-4o-mini", "someone else", budget("user_id", other));
        assertEquals(2, awaitRows(gw, "user_id", "u_c", 2));
        assertEquals(1, awaitRows(gw, "user_id", other, 1));
        // Only the master key may attribute a request to a project: the bare key's budget.project_id
        // is not recorded (the master's row came later, so the writer has flushed the bare key's).
        assertEquals(0, countRows(gw, "project_id", other), "a non-admin key added spend to another project");

        JsonNode user = usage(gw, KEY_USER, "");
        assertEquals(2, user.path("total_requests").asLong(), user.toString());
        assertMoney(userCost, user.path("total_cost"), "the user key's cost");
        assertForbidden(gw.get("/analytics/usage?user_id=" + other, KEY_USER), "user_id");

        JsonNode bare = usage(gw, KEY_BARE, "");
        assertEquals(2, bare.path("total_requests").asLong(), "a key with no user or project sees its own rows: " + bare);
        assertMoney(bareCost, bare.path("total_cost"), "the bare key's cost");
        // A filter narrows within the key's own rows; it never widens them.
        JsonNode narrowed = usage(gw, KEY_BARE, "user_id=" + other);
        assertEquals(0, narrowed.path("total_requests").asLong(), "the master key's row is not the bare key's: " + narrowed);
        assertEquals(1, usage(gw, MASTER, "user_id=" + other).path("total_requests").asLong());
    }

    // ---- (d) parameters ---------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Engine.class)
    void badParametersAreRefusedWith400NamingTheParameter(Engine engine) throws Exception {
        RunningGateway gw = gateway(engine);
        String[][] cases = {
                {"period=year", "period"},
                {"period=hourly", "period"},
                {"start=yesterday", "start"},
                {"start=2024-02-30", "start"},
                {"start=2024-01-01T25:00:00Z", "start"},
                {"end=2024-13-01", "end"},
                {"end=1700000000", "end"},
                {"start=2024-01-02&end=2024-01-01", "start"},
                {"period=hour&start=2024-01-01&end=2024-02-11T17:00:00Z", "start"},
                {"period=day&start=2000-01-01&end=2024-01-01", "start"},
                {"model=gpt-4o&model=gpt-4o-mini", "model"},
        };
        for (String[] c : cases) {
            HttpResponse<String> r = gw.get("/analytics/usage?" + c[0], MASTER);
            assertEquals(400, r.statusCode(), c[0] + " -> " + r.body());
            JsonNode error = JSON.readTree(r.body()).path("error");
            assertEquals("invalid_request_error", error.path("type").asText(), c[0]);
            assertEquals(c[1], error.path("param").asText(), c[0] + " -> " + r.body());
        }
        assertEquals(401, gw.get("/analytics/usage", null).statusCode(), "no key, no analytics");
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aThousandBucketsAreAllowedAndDatesMeanMidnightUtc(Engine engine) throws Exception {
        RunningGateway gw = gateway(engine);
        JsonNode max = usage(gw, MASTER, "period=hour&start=2024-01-01&end=2024-02-11T16:00:00Z");
        assertEquals(1000, max.path("series").size());
        assertEquals("2024-02-11T15:00:00Z", max.path("series").get(999).path("start_time").asText());

        JsonNode day = usage(gw, MASTER, "period=day&start=2024-01-01&end=2024-01-02");
        assertEquals("day", day.path("period").asText());
        assertEquals("2024-01-01T00:00:00Z", day.path("start_time").asText());
        assertEquals("2024-01-02T00:00:00Z", day.path("end_time").asText());
        assertEquals(1, day.path("series").size());
        List<String> fields = new ArrayList<>();
        day.fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("period", "start_time", "end_time", "total_requests", "total_cost", "avg_latency_ms",
                "cost_by_provider", "top_models", "total_tokens", "error_count", "cache_hits", "latency_p50_ms",
                "latency_p95_ms", "series"), fields, "the spec's fields in the spec's order, then the additions");

        // An offset sent unencoded ('+') or encoded (%2B) is the same instant.
        for (String q : new String[] {"start=2024-01-01T02:00:00+02:00&end=2024-01-01T03:00:00Z",
                "start=2024-01-01T02:00:00%2B02:00&end=2024-01-01T03:00:00Z"}) {
            JsonNode r = usage(gw, MASTER, q);
            assertEquals("2024-01-01T00:00:00Z", r.path("start_time").asText(), q);
        }

        JsonNode defaults = usage(gw, MASTER, "period=week");
        Instant start = Instant.parse(defaults.path("start_time").asText());
        Instant end = Instant.parse(defaults.path("end_time").asText());
        assertEquals(Duration.ofDays(7), Duration.between(start, end), "with no start, the report covers one period");
        assertTrue(Duration.between(end, Instant.now()).abs().compareTo(Duration.ofMinutes(1)) < 0, "and ends now: " + end);
        assertEquals(1, defaults.path("series").size());
    }

    // ---- (e) series -------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Engine.class)
    void anHourlySeriesOverThreeHoursHasThreeBucketsThatAddUpToTheTotal(Engine engine) throws Exception {
        RunningGateway gw = gateway(engine);
        String tag = tag("series");
        // The hour is fixed before the requests, so they fall in its bucket or, past the hour, the next.
        Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS);
        BigDecimal total = BigDecimal.ZERO;
        for (int i = 0; i < 4; i++) {
            total = total.add(costOf(okChat(gw, MASTER, i % 2 == 0 ? "gpt-4o-mini" : "claude-3-haiku", "series " + i,
                    budget("project_id", tag))));
        }
        assertEquals(4, awaitRows(gw, "project_id", tag, 4));
        Instant start = hour.minus(1, ChronoUnit.HOURS);
        Instant end = start.plus(3, ChronoUnit.HOURS);

        JsonNode report = usage(gw, MASTER, "period=hour&project_id=" + tag + "&start=" + start + "&end=" + end);
        JsonNode series = report.path("series");
        assertEquals(3, series.size(), report.toString());
        for (int i = 0; i < 3; i++) {
            assertEquals(start.plus(i, ChronoUnit.HOURS).toString(), series.get(i).path("start_time").asText());
        }
        assertEquals(0, series.get(0).path("requests").asLong(), "the hour before the requests is an empty bucket");
        assertMoney(BigDecimal.ZERO, series.get(0).path("cost"), "an empty bucket's cost");
        assertEquals(4, report.path("total_requests").asLong());
        assertEquals(4, seriesRequests(report), "the buckets add up to total_requests");
        assertMoney(total, seriesCost(report), "the buckets' costs add up to the responses' costs");
        long[] expected = new long[3];
        for (Instant t : createdAt(gw, tag)) {
            expected[(int) Duration.between(start, t).toHours()]++;
        }
        for (int i = 0; i < 3; i++) {
            assertEquals(expected[i], series.get(i).path("requests").asLong(), "bucket " + i + " holds the rows of its hour");
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void bucketsAreHalfOpenAndLatencyPercentilesAndCountsComeFromTheLog(Engine engine) throws Exception {
        RunningGateway gw = gateway(engine);
        String tag = tag("hist");
        insert(gw, tag, "2024-01-01T09:59:59.999999Z", "gpt-4o-mini", "openai", 200, "0.5", 999, false);
        insert(gw, tag, "2024-01-01T10:00:00Z", "gpt-4o-mini", "openai", 200, "0.00000001", 100, false);
        insert(gw, tag, "2024-01-01T10:59:59.999Z", "claude-3-haiku", "anthropic", 200, "0.12345678", 200, true);
        insert(gw, tag, "2024-01-01T11:00:00Z", "claude-3-haiku", "anthropic", 502, null, 300, false);
        insert(gw, tag, "2024-01-01T12:30:00Z", "gpt-4o-mini", "openai", 200, "1.1", 400, false);
        insert(gw, tag, "2024-01-01T13:00:00Z", "gpt-4o-mini", "openai", 200, "0.7", 999, false);

        JsonNode r = usage(gw, MASTER, "period=hour&start=2024-01-01T10:00:00Z&end=2024-01-01T13:00:00Z&project_id=" + tag);
        assertEquals(4, r.path("total_requests").asLong(), r.toString());
        assertMoney(new BigDecimal("1.22345679"), r.path("total_cost"), "total_cost");
        assertEquals(List.of(2L, 1L, 1L), seriesCounts(r), r.toString());
        assertMoney(new BigDecimal("0.12345679"), r.path("series").get(0).path("cost"), "first hour's cost");
        assertMoney(BigDecimal.ZERO, r.path("series").get(1).path("cost"), "a failed request costs nothing");
        assertEquals(250, r.path("avg_latency_ms").asLong());
        assertEquals(250, r.path("latency_p50_ms").asLong());
        assertEquals(385, r.path("latency_p95_ms").asLong());
        assertEquals(1, r.path("error_count").asLong());
        assertEquals(1, r.path("cache_hits").asLong());
        assertEquals(40, r.path("total_tokens").path("prompt").asLong());
        assertEquals(20, r.path("total_tokens").path("completion").asLong());
        assertEquals(4, r.path("total_tokens").path("cached").asLong());
        assertEquals(30, r.path("series").get(0).path("tokens").asLong());
        assertMoney(new BigDecimal("1.10000001"), r.path("cost_by_provider").path("openai"), "openai");
        assertMoney(new BigDecimal("0.12345678"), r.path("cost_by_provider").path("anthropic"), "anthropic");
        // Ties on usage_count go to the costlier model.
        assertEquals("gpt-4o-mini", r.path("top_models").get(0).path("model").asText(), r.toString());
        assertEquals(2, r.path("top_models").get(0).path("usage_count").asLong());
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void monthBucketsFollowTheCalendarFromTheStartAndWeeksAreSevenDays(Engine engine) throws Exception {
        RunningGateway gw = gateway(engine);
        String tag = tag("cal");
        insert(gw, tag, "2024-02-28T12:00:00Z", "gpt-4o-mini", "openai", 200, "1", 10, false);
        insert(gw, tag, "2024-02-29T00:00:00Z", "gpt-4o-mini", "openai", 200, "2", 10, false);
        insert(gw, tag, "2024-03-05T00:00:00Z", "gpt-4o-mini", "openai", 200, "4", 10, false);
        insert(gw, tag, "2024-03-31T00:00:00Z", "gpt-4o-mini", "openai", 200, "8", 10, false);
        insert(gw, tag, "2024-04-29T23:59:59Z", "gpt-4o-mini", "openai", 200, "16", 10, false);

        JsonNode month = usage(gw, MASTER, "period=month&start=2024-01-31&end=2024-04-30&project_id=" + tag);
        assertEquals(List.of("2024-01-31T00:00:00Z", "2024-02-29T00:00:00Z", "2024-03-31T00:00:00Z"), seriesStarts(month));
        assertEquals(List.of(1L, 2L, 2L), seriesCounts(month), month.toString());
        assertMoney(new BigDecimal("24"), month.path("series").get(2).path("cost"), "last month's cost");

        JsonNode week = usage(gw, MASTER, "period=week&start=2024-02-26&end=2024-03-11&project_id=" + tag);
        assertEquals(List.of("2024-02-26T00:00:00Z", "2024-03-04T00:00:00Z"), seriesStarts(week));
        assertEquals(List.of(2L, 1L), seriesCounts(week), week.toString());

        JsonNode day = usage(gw, MASTER, "period=day&start=2024-02-28&end=2024-03-01T12:00:00Z&project_id=" + tag);
        assertEquals(List.of(1L, 1L, 0L), seriesCounts(day), "the last day is clipped at end: " + day);
    }

    // ---- (f) filters ------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Engine.class)
    void modelProviderAndUserFiltersNarrowTheTotals(Engine engine) throws Exception {
        RunningGateway gw = gateway(engine);
        String tag = tag("filter");
        String user = tag("fu");
        BigDecimal mini = BigDecimal.ZERO;
        BigDecimal haiku = BigDecimal.ZERO;
        BigDecimal userMini = BigDecimal.ZERO;
        for (int i = 0; i < 3; i++) {
            ObjectNode budget = budget("project_id", tag);
            if (i < 2) {
                budget.put("user_id", user);
            }
            BigDecimal c = costOf(okChat(gw, MASTER, "gpt-4o-mini", "filters " + i, budget));
            mini = mini.add(c);
            if (i < 2) {
                userMini = userMini.add(c);
            }
        }
        for (int i = 0; i < 2; i++) {
            haiku = haiku.add(costOf(okChat(gw, MASTER, "claude-3-haiku", "filters " + i, budget("project_id", tag))));
        }
        assertEquals(5, awaitRows(gw, "project_id", tag, 5));
        String p = "project_id=" + tag;

        assertEquals(5, usage(gw, MASTER, p).path("total_requests").asLong());
        JsonNode byModel = usage(gw, MASTER, p + "&model=gpt-4o-mini");
        assertEquals(3, byModel.path("total_requests").asLong(), byModel.toString());
        assertMoney(mini, byModel.path("total_cost"), "gpt-4o-mini cost");
        assertEquals(Set.of("openai"), fieldNames(byModel.path("cost_by_provider")));
        assertEquals(3, usage(gw, MASTER, p + "&model=GPT-4o-mini").path("total_requests").asLong(), "model ids ignore case");

        JsonNode byProvider = usage(gw, MASTER, p + "&provider=anthropic");
        assertEquals(2, byProvider.path("total_requests").asLong(), byProvider.toString());
        assertMoney(haiku, byProvider.path("total_cost"), "anthropic cost");
        assertEquals("claude-3-haiku", byProvider.path("top_models").get(0).path("model").asText());

        JsonNode none = usage(gw, MASTER, p + "&model=gpt-4o-mini&provider=anthropic");
        assertEquals(0, none.path("total_requests").asLong());
        assertMoney(BigDecimal.ZERO, none.path("total_cost"), "nothing matches");
        assertEquals(0, none.path("top_models").size());

        JsonNode byUser = usage(gw, MASTER, p + "&user_id=" + user);
        assertEquals(2, byUser.path("total_requests").asLong(), byUser.toString());
        assertMoney(userMini, byUser.path("total_cost"), "the user's cost");
        assertEquals(0, usage(gw, MASTER, p + "&user_id=" + user + "&model=claude-3-haiku").path("total_requests").asLong());
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private static String tag(String prefix) {
        return prefix + "_" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static ObjectNode budget(String field, String value) {
        return JSON.createObjectNode().put(field, value);
    }

    private static String chat(String model, String text, ObjectNode budget) {
        ObjectNode body = JSON.createObjectNode().put("model", model);
        body.putArray("messages").addObject().put("role", "user").put("content", text);
        if (budget != null) {
            body.set("budget", budget);
        }
        return body.toString();
    }

    private static JsonNode okChat(RunningGateway gw, String key, String model, String text, ObjectNode budget) throws IOException {
        HttpResponse<String> r = gw.post("/chat/completions", chat(model, text, budget), key);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private static BigDecimal costOf(JsonNode response) {
        JsonNode cost = response.path("cost").path("total_cost");
        assertTrue(cost.isNumber(), response.toString());
        return cost.decimalValue();
    }

    private static JsonNode usage(RunningGateway gw, String key, String query) throws IOException {
        HttpResponse<String> r = gw.get("/analytics/usage" + (query.isEmpty() ? "" : "?" + query), key);
        assertEquals(200, r.statusCode(), query + " -> " + r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        assertTrue(r.headers().firstValue("X-Request-Id").isPresent(), "X-Request-Id on " + r.uri());
        return JSON.readTree(r.body());
    }

    private static void assertForbidden(HttpResponse<String> r, String param) throws IOException {
        assertEquals(403, r.statusCode(), r.body());
        JsonNode error = JSON.readTree(r.body()).path("error");
        assertEquals("permission_error", error.path("type").asText(), r.body());
        assertEquals(param, error.path("param").asText(), r.body());
    }

    private static void assertMoney(BigDecimal expected, JsonNode actual, String what) {
        assertNotNull(expected, what + ": nothing expected");
        assertTrue(actual.isNumber(), what + " is a JSON number: " + actual);
        assertEquals(0, expected.compareTo(actual.decimalValue()),
                what + ": expected " + expected.toPlainString() + " but was " + actual.decimalValue().toPlainString());
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static long seriesRequests(JsonNode report) {
        long sum = 0;
        for (JsonNode b : report.path("series")) {
            sum += b.path("requests").asLong();
        }
        return sum;
    }

    private static JsonNode seriesCost(JsonNode report) {
        BigDecimal sum = BigDecimal.ZERO;
        for (JsonNode b : report.path("series")) {
            sum = sum.add(b.path("cost").decimalValue());
        }
        return JSON.getNodeFactory().numberNode(sum);
    }

    private static List<Long> seriesCounts(JsonNode report) {
        List<Long> counts = new ArrayList<>();
        report.path("series").forEach(b -> counts.add(b.path("requests").asLong()));
        return counts;
    }

    private static List<String> seriesStarts(JsonNode report) {
        List<String> starts = new ArrayList<>();
        report.path("series").forEach(b -> starts.add(b.path("start_time").asText()));
        return starts;
    }

    /** Polls the request log (the writer is asynchronous) until {@code expected} rows or the wait ends. */
    private static long awaitRows(RunningGateway gw, String column, String value, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + FLUSH_WAIT.toNanos();
        long n = countRows(gw, column, value);
        while (n < expected && System.nanoTime() < deadline) {
            Thread.sleep(50);
            n = countRows(gw, column, value);
        }
        return n;
    }

    private static void awaitWriterIdle(RunningGateway gw) throws InterruptedException {
        RequestLogWriter writer = gw.context().getRegistry().lookupByNameAndType("requestLogWriter", RequestLogWriter.class);
        long deadline = System.nanoTime() + FLUSH_WAIT.toNanos();
        while (writer.pending() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        Thread.sleep(300); // a batch taken from the buffer may still be in flight
    }

    private static long countRows(RunningGateway gw, String column, String value) {
        if (!Set.of("project_id", "user_id").contains(column)) {
            throw new IllegalArgumentException(column);
        }
        try (Connection c = db(gw).getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM request_log WHERE " + column + " = ?")) {
            ps.setString(1, value);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Set<String> requestIdsOf(RunningGateway gw, String project) throws SQLException {
        Set<String> ids = new HashSet<>();
        try (Connection c = db(gw).getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT request_id FROM request_log WHERE project_id = ?")) {
            ps.setString(1, project);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
        }
        return ids;
    }

    private static List<Instant> createdAt(RunningGateway gw, String project) throws SQLException {
        List<Instant> times = new ArrayList<>();
        try (Connection c = db(gw).getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT created_at FROM request_log WHERE project_id = ?")) {
            ps.setString(1, project);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    times.add(rs.getTimestamp(1).toInstant());
                }
            }
        }
        return times;
    }

    /**
     * A request-log row as of a past time, written straight to the table: 10 prompt, 5 completion
     * and 1 cached token; {@code cost} null for an unanswered request.
     */
    private static void insert(RunningGateway gw, String project, String at, String model, String provider, int status,
                               String cost, long latencyMs, boolean cacheHit) {
        String sql = "INSERT INTO request_log (request_id, created_at, key_id, user_id, project_id, tracking_id,"
                + " requested_model, served_model, provider, status, error_type, prompt_tokens, completion_tokens,"
                + " cached_tokens, input_cost, output_cost, total_cost, latency_ms, ttfb_ms, cache_hit, fallback_used,"
                + " routing_strategy, streamed) VALUES (?, ?, 'fixture', NULL, ?, NULL, ?, ?, ?, ?, ?, 10, 5, 1, ?, ?, ?, ?,"
                + " NULL, ?, FALSE, NULL, FALSE)";
        try (Connection c = db(gw).getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            BigDecimal total = cost == null ? null : new BigDecimal(cost);
            ps.setString(1, "req_" + UUID.randomUUID().toString().replace("-", ""));
            ps.setTimestamp(2, Timestamp.from(Instant.parse(at)));
            ps.setString(3, project);
            ps.setString(4, model);
            ps.setString(5, model);
            ps.setString(6, provider);
            ps.setInt(7, status);
            ps.setString(8, status == 200 ? null : "provider_error");
            ps.setBigDecimal(9, total == null ? null : BigDecimal.ZERO);
            ps.setBigDecimal(10, total);
            ps.setBigDecimal(11, total);
            ps.setLong(12, latencyMs);
            ps.setBoolean(13, cacheHit);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
