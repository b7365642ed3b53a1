package ai.infrastack.gateway.analytics;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code period} of a usage report: the width of one time-series bucket and, when the client
 * names no start, the length of the report. Months are calendar months in UTC, counted from the
 * report's start (so a bucket may be 28 to 31 days long); the other periods are fixed widths.
 */
public enum UsagePeriod {
    HOUR(3600),
    DAY(86_400),
    WEEK(7 * 86_400),
    MONTH(0);

    private final long fixedSeconds;

    UsagePeriod(long fixedSeconds) {
        this.fixedSeconds = fixedSeconds;
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<UsagePeriod> parse(String value) {
        for (UsagePeriod p : values()) {
            if (p.wireName().equals(value.toLowerCase(Locale.ROOT))) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** {@code from} moved by {@code n} periods (negative goes back); months stay on the same day and time. */
    public Instant plus(Instant from, long n) {
        if (this == MONTH) {
            return from.atZone(ZoneOffset.UTC).plusMonths(n).toInstant();
        }
        return from.plusSeconds(Math.multiplyExact(fixedSeconds, n));
    }

    /**
     * The grain, in seconds, at which the database groups rows before they are folded into
     * buckets: every bucket boundary lies a whole number of grains after the report's start
     * (a month after a given instant is always a whole number of days later in UTC).
     */
    long groupingSeconds() {
        return this == MONTH ? 86_400 : fixedSeconds;
    }
}
