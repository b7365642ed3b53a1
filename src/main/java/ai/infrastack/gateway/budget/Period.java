package ai.infrastack.gateway.budget;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;

/** A budget period in UTC: a calendar day or a calendar month. Named as the spec's webhook names it. */
public enum Period {
    DAY, MONTH;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Period parse(String s) {
        return switch (s == null ? "" : s.trim().toLowerCase(Locale.ROOT)) {
            case "day", "daily" -> DAY;
            case "month", "monthly" -> MONTH;
            default -> null;
        };
    }

    /** The start of the period that contains {@code t}. */
    public Instant start(Instant t) {
        LocalDate d = t.atZone(ZoneOffset.UTC).toLocalDate();
        return (this == DAY ? d : d.withDayOfMonth(1)).atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    /** When the period containing {@code t} ends and the budget resets. */
    public Instant reset(Instant t) {
        LocalDate start = start(t).atZone(ZoneOffset.UTC).toLocalDate();
        return (this == DAY ? start.plusDays(1) : start.plusMonths(1)).atStartOfDay(ZoneOffset.UTC).toInstant();
    }
}
