package ai.infrastack.gateway.analytics;

import ai.infrastack.gateway.core.GatewayException;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The parameters of {@code GET /api/v1/analytics/usage}, checked: the period, the half-open range
 * {@code [start, end)} and its buckets, and the optional filters. Anything unusable is a 400 that
 * names the parameter.
 *
 * @param bucketStarts the start of every series bucket, in order; bucket {@code i} ends where
 *                     bucket {@code i + 1} starts, the last one at {@code end}
 */
public record UsageQuery(UsagePeriod period, Instant start, Instant end, List<Instant> bucketStarts,
                         String userId, String projectId, String model, String provider) {

    /** The most buckets one report may have, so a report's size and cost stay bounded. */
    public static final int MAX_BUCKETS = 1000;
    private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999Z");

    public UsageQuery {
        bucketStarts = List.copyOf(bucketStarts);
    }

    /** Parses a raw (still percent-encoded) query string; {@code now} is the default end. */
    public static UsageQuery parse(String rawQuery, Instant now) {
        Map<String, String> p = parameters(rawQuery);
        UsagePeriod period = UsagePeriod.DAY;
        if (p.containsKey("period")) {
            String v = p.get("period");
            period = UsagePeriod.parse(v).orElseThrow(() -> GatewayException.invalid("period",
                    "Invalid period '" + v + "': expected one of hour, day, week, month"));
        }
        Instant start = p.containsKey("start") ? instant("start", p.get("start")) : null;
        Instant end = p.containsKey("end") ? instant("end", p.get("end")) : now.truncatedTo(ChronoUnit.MICROS);
        List<Instant> buckets;
        if (start == null) {
            // Exactly one period, so one bucket (a month back and forth need not meet: Mar 31 -> Feb 29 -> Mar 29).
            start = period.plus(end, -1);
            buckets = List.of(start);
        } else if (start.isAfter(end)) {
            throw GatewayException.invalid("start", "start (" + start + ") is after end (" + end + ")");
        } else {
            buckets = buckets(period, start, end);
        }
        return new UsageQuery(period, start, end, buckets,
                p.get("user_id"), p.get("project_id"), lower(p.get("model")), lower(p.get("provider")));
    }

    private static List<Instant> buckets(UsagePeriod period, Instant start, Instant end) {
        List<Instant> starts = new ArrayList<>();
        // Each boundary is counted from start itself, so month buckets keep start's day of month.
        for (Instant b = start; b.isBefore(end); b = period.plus(start, starts.size())) {
            if (starts.size() == MAX_BUCKETS) {
                throw GatewayException.invalid("start", "The range from " + start + " to " + end + " has more than "
                        + MAX_BUCKETS + " " + period.wireName() + " buckets; use a shorter range or a longer period");
            }
            starts.add(b);
        }
        return starts;
    }

    /**
     * A date ({@code 2024-01-01}, that day at 00:00 UTC) or an ISO-8601 timestamp with an offset or
     * {@code Z} (without one it is taken as UTC).
     */
    static Instant instant(String param, String value) {
        Instant t;
        try {
            if (value.length() == 10) {
                t = LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
            } else if (hasOffset(value)) {
                t = OffsetDateTime.parse(value).toInstant();
            } else {
                t = LocalDateTime.parse(value).toInstant(ZoneOffset.UTC);
            }
        } catch (DateTimeException e) {
            throw GatewayException.invalid(param, "Invalid " + param + " '" + value
                    + "': expected a date (2024-01-01) or an ISO-8601 timestamp (2024-01-01T00:00:00Z)");
        }
        if (t.isBefore(EARLIEST) || t.isAfter(LATEST)) {
            throw GatewayException.invalid(param, "Invalid " + param + " '" + value + "': the year must be 1 to 9999");
        }
        return t.truncatedTo(ChronoUnit.MICROS);
    }

    private static boolean hasOffset(String v) {
        int time = v.indexOf('T') < 0 ? v.indexOf('t') : v.indexOf('T');
        if (time < 0) {
            return false;
        }
        String rest = v.substring(time);
        return rest.endsWith("Z") || rest.endsWith("z") || rest.indexOf('+') >= 0 || rest.indexOf('-') >= 0;
    }

    /**
     * The query's parameters, percent-decoded. A literal '+' stays a '+' (no parameter here holds
     * a space, and a timestamp's offset is often sent unencoded). Empty values count as absent; a
     * parameter given twice with different values is refused.
     */
    static Map<String, String> parameters(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return Collections.emptyMap();
        }
        Map<String, String> out = new HashMap<>();
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq), null);
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1), name);
            if (value.isEmpty()) {
                continue;
            }
            String previous = out.putIfAbsent(name, value);
            if (previous != null && !previous.equals(value)) {
                throw GatewayException.invalid(name, "Parameter '" + name + "' is given more than once");
            }
        }
        return out;
    }

    private static String decode(String s, String param) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw GatewayException.invalid(param, "Malformed percent-encoding in the query string");
        }
    }

    private static String lower(String v) {
        return v == null ? null : v.toLowerCase(Locale.ROOT);
    }
}
