package ai.infrastack.gateway.limits;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The headers and Retry-After a window yields. */
class LimitReportTest {
    private static final WindowGeometry MINUTES = WindowGeometry.hourOf(60);
    private static final long T0 = 1_800_000_000_000L;
    private static final long MINUTE = 60_000;

    private static WindowCounts counts(Map<Long, Long> requests, Map<Long, Long> tokens) {
        return new WindowCounts(new TreeMap<>(requests), new TreeMap<>(tokens));
    }

    @Test
    void an_unused_window_has_everything_left_and_resets_now() {
        LimitReport r = new LimitReport(new HourlyLimits(100, 50_000), WindowCounts.empty(), MINUTES, T0 + 500);
        assertEquals(Map.of("X-RateLimit-Limit-Requests", "100", "X-RateLimit-Remaining-Requests", "100",
                "X-RateLimit-Reset-Requests", String.valueOf(T0 / 1000 + 1), "X-RateLimit-Limit-Tokens", "50000",
                "X-RateLimit-Remaining-Tokens", "50000", "X-RateLimit-Reset-Tokens", String.valueOf(T0 / 1000 + 1)), r.headers());
    }

    @Test
    void the_reset_is_when_the_oldest_counted_usage_leaves_the_window() {
        long b0 = MINUTES.bucketAt(T0);
        LimitReport r = new LimitReport(new HourlyLimits(100, 50_000),
                counts(Map.of(b0, 60L, b0 + 10, 40L), Map.of(b0 + 10, 70_000L)), MINUTES, T0 + 20 * MINUTE);
        assertEquals("0", r.headers().get("X-RateLimit-Remaining-Requests"));
        assertEquals("0", r.headers().get("X-RateLimit-Remaining-Tokens"), "never negative, even over the limit");
        assertEquals(String.valueOf((T0 + 61 * MINUTE) / 1000), r.headers().get("X-RateLimit-Reset-Requests"));
        assertEquals(String.valueOf((T0 + 71 * MINUTE) / 1000), r.headers().get("X-RateLimit-Reset-Tokens"));
    }

    @Test
    void retry_after_waits_for_enough_usage_to_leave() {
        long b0 = MINUTES.bucketAt(T0);
        long now = T0 + 30 * MINUTE;
        // requests full: one must leave (the bucket at minute 0, leaving at minute 61)
        LimitReport full = new LimitReport(new HourlyLimits(2, 1000), counts(Map.of(b0, 1L, b0 + 5, 1L), Map.of()), MINUTES, now);
        assertEquals(31 * 60, full.retryAfterSeconds(0));
        // tokens: 900 used in two buckets; 300 more fit once the 500 of minute 5 have left (minute 66)
        LimitReport tokens = new LimitReport(new HourlyLimits(100, 1000),
                counts(Map.of(b0 + 5, 1L), Map.of(b0 + 5, 500L, b0 + 20, 400L)), MINUTES, now);
        assertEquals(36 * 60, tokens.retryAfterSeconds(300));
        assertEquals(1, tokens.retryAfterSeconds(100), "at least one second");
    }
}
