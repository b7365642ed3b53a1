package ai.infrastack.gateway.analytics;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.auth.Caller;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The analytics parameters and the caller's scope, without a gateway or a database. */
class UsageQueryTest {
    private static final Instant NOW = Instant.parse("2024-03-31T10:15:30.123456789Z");

    private static UsageQuery parse(String query) {
        return UsageQuery.parse(query, NOW);
    }

    private static GatewayException refused(String query) {
        return assertThrows(GatewayException.class, () -> parse(query), query);
    }

    @Test
    void withNoParametersTheReportIsTheDayEndingNow() {
        UsageQuery q = parse(null);
        assertEquals(UsagePeriod.DAY, q.period());
        assertEquals(Instant.parse("2024-03-31T10:15:30.123456Z"), q.end(), "now, to the microsecond the database keeps");
        assertEquals(Instant.parse("2024-03-30T10:15:30.123456Z"), q.start());
        assertEquals(List.of(q.start()), q.bucketStarts());
    }

    @ParameterizedTest
    @CsvSource({
            "hour,  2024-03-31T09:15:30.123456Z",
            "day,   2024-03-30T10:15:30.123456Z",
            "week,  2024-03-24T10:15:30.123456Z",
            "month, 2024-02-29T10:15:30.123456Z",
            "MONTH, 2024-02-29T10:15:30.123456Z"})
    void withNoStartTheReportCoversOnePeriod(String period, String start) {
        UsageQuery q = parse("period=" + period);
        assertEquals(Instant.parse(start), q.start());
        assertEquals(1, q.bucketStarts().size());
    }

    @Test
    void withOnlyAnEndTheReportIsThePeriodBeforeIt() {
        UsageQuery q = parse("period=hour&end=2024-01-01");
        assertEquals(Instant.parse("2023-12-31T23:00:00Z"), q.start());
        assertEquals(Instant.parse("2024-01-01T00:00:00Z"), q.end());
    }

    @Test
    void aDateIsMidnightUtcAndATimestampKeepsItsOffset() {
        assertEquals(Instant.parse("2024-01-01T00:00:00Z"), parse("start=2024-01-01&end=2024-01-02").start());
        assertEquals(Instant.parse("2024-01-01T00:00:00Z"), parse("start=2024-01-01T02:00:00%2B02:00&end=2024-01-02").start());
        assertEquals(Instant.parse("2024-01-01T00:00:00Z"), parse("start=2024-01-01T02:00:00+02:00&end=2024-01-02").start(),
                "an unencoded '+' is the offset's sign, not a space");
        assertEquals(Instant.parse("2024-01-01T05:00:00Z"), parse("start=2024-01-01T00:00:00-05:00&end=2024-01-02").start());
        assertEquals(Instant.parse("2024-01-01T12:30:00Z"), parse("start=2024-01-01T12:30:00&end=2024-01-02").start(),
                "no offset means UTC");
        assertEquals(Instant.parse("2024-01-01T12:30:00.5Z"), parse("start=2024-01-01T12%3A30%3A00.500Z&end=2024-01-02").start());
    }

    @Test
    void monthBucketsKeepTheStartsDayOfMonthWhereTheMonthHasIt() {
        UsageQuery q = parse("period=month&start=2024-01-31&end=2024-05-01");
        assertEquals(List.of(Instant.parse("2024-01-31T00:00:00Z"), Instant.parse("2024-02-29T00:00:00Z"),
                Instant.parse("2024-03-31T00:00:00Z"), Instant.parse("2024-04-30T00:00:00Z")), q.bucketStarts());
    }

    @Test
    void theLastBucketIsClippedAtTheEnd() {
        UsageQuery q = parse("period=hour&start=2024-01-01T10:00:00Z&end=2024-01-01T12:30:00Z");
        assertEquals(3, q.bucketStarts().size());
        assertEquals(Instant.parse("2024-01-01T12:00:00Z"), q.bucketStarts().get(2));
    }

    @Test
    void anEmptyRangeHasNoBuckets() {
        assertTrue(parse("start=2024-01-01&end=2024-01-01").bucketStarts().isEmpty());
    }

    @Test
    void aThousandBucketsAreAllowedAndOneMoreIsNot() {
        assertEquals(1000, parse("period=hour&start=2024-01-01&end=2024-02-11T16:00:00Z").bucketStarts().size());
        assertEquals("start", refused("period=hour&start=2024-01-01&end=2024-02-11T16:00:01Z").param());
        assertEquals(1000, parse("period=week&start=2000-01-01&end=2019-03-02").bucketStarts().size());
        assertEquals("start", refused("period=month&start=1900-01-01&end=2024-01-01").param());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "period=year                        | period",
            "period=                            | ",
            "start=yesterday                    | start",
            "start=2024-02-30                   | start",
            "start=2024-1-1                     | start",
            "start=2024-01-01T24:00:01Z         | start",
            "end=2024-01-01Z                    | end",
            "end=10000-01-01T00:00:00Z          | end",
            "end=%ZZ                            | end",
            "start=2024-01-03&end=2024-01-02    | start",
            "user_id=a&user_id=b                | user_id"})
    void badParametersAreRefusedNamingTheParameter(String query, String param) {
        if (param == null) {
            assertEquals(UsagePeriod.DAY, parse(query).period(), "an empty value counts as absent");
            return;
        }
        GatewayException e = refused(query);
        assertEquals(ErrorType.INVALID_REQUEST, e.type());
        assertEquals(400, e.status());
        assertEquals(param, e.param());
    }

    @Test
    void filtersAreReadAndModelAndProviderIgnoreCase() {
        UsageQuery q = parse("user_id=U1&project_id=P%201&model=GPT-4o-Mini&provider=OpenAI&user_id=U1&unknown=x");
        assertEquals("U1", q.userId());
        assertEquals("P 1", q.projectId());
        assertEquals("gpt-4o-mini", q.model());
        assertEquals("openai", q.provider());
    }

    // ---- scope ------------------------------------------------------------------------------------

    private static Caller key(String user, String project) {
        return new Caller("k123", "pro", user, project, false, Set.of());
    }

    @Test
    void theMasterKeyIsScopedByItsFiltersAlone() {
        UsageAnalytics.Where w = UsageAnalytics.where(new Caller("master", "admin", null, null, true, Set.of()),
                parse("project_id=p9&end=2024-01-01"));
        assertEquals("created_at >= ? AND created_at < ? AND project_id = ?", w.sql());
    }

    @Test
    void aKeyIsScopedToItsProjectElseItsUserElseItself() {
        assertTrue(UsageAnalytics.where(key("u1", "p1"), parse(null)).sql().endsWith("AND project_id = ?"));
        assertTrue(UsageAnalytics.where(key("u1", null), parse(null)).sql().endsWith("AND user_id = ?"));
        assertTrue(UsageAnalytics.where(key(null, null), parse(null)).sql().endsWith("AND key_id = ?"));
        String narrowed = UsageAnalytics.where(key(null, "p1"), parse("user_id=u2&model=gpt-4o")).sql();
        assertTrue(narrowed.contains("project_id = ?") && narrowed.contains("user_id = ?") && narrowed.contains("served_model = ?"),
                narrowed);
    }

    @Test
    void aKeyAskingForAnotherProjectOrUserIsRefused() {
        GatewayException project = assertThrows(GatewayException.class,
                () -> UsageAnalytics.where(key("u1", "p1"), parse("project_id=p2")));
        assertEquals(ErrorType.PERMISSION, project.type());
        assertEquals("project_id", project.param());
        GatewayException user = assertThrows(GatewayException.class,
                () -> UsageAnalytics.where(key("u1", null), parse("user_id=u2")));
        assertEquals(ErrorType.PERMISSION, user.type());
        assertEquals("user_id", user.param());
        assertFalse(UsageAnalytics.where(key("u1", "p1"), parse("project_id=p1&user_id=u1")).sql().isEmpty());
    }

    @Test
    void aTimeFallsInTheLastBucketStartingAtOrBeforeIt() {
        List<Instant> starts = List.of(Instant.parse("2024-01-31T00:00:00Z"), Instant.parse("2024-02-29T00:00:00Z"));
        assertEquals(0, UsageAnalytics.bucketOf(starts, Instant.parse("2024-02-28T23:59:59Z")));
        assertEquals(1, UsageAnalytics.bucketOf(starts, Instant.parse("2024-02-29T00:00:00Z")));
        assertEquals(1, UsageAnalytics.bucketOf(starts, Instant.parse("2024-03-30T00:00:00Z")));
    }
}
