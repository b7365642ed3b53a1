package ai.infrastack.gateway.routing;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The spec's {@code routerConfig}, read from {@code gateway.router.*} in application.properties
 * (README "Configuration"). Immutable: a reload swaps the whole value (RouterSettings).
 *
 * @param maxCostPerRequest       null for no ceiling
 * @param costAlertThreshold      null for none; read by budget alerts
 * @param enableCostOptimization  false leaves cost out of the auto strategy's score
 * @param cacheEnabled            read by the response cache
 */
public record RouterConfig(
        String defaultStrategy,
        List<String> preferredProviders,
        List<String> blockedProviders,
        boolean enableFallbacks,
        int maxFallbackAttempts,
        long fallbackDelayMs,
        BigDecimal maxCostPerRequest,
        BigDecimal costAlertThreshold,
        boolean enableCostOptimization,
        boolean cacheEnabled,
        long cacheTtlSeconds,
        boolean loadBalancingEnabled) {

    public static final List<String> STRATEGIES = List.of("cost", "speed", "quality", "auto");
    static final String PREFIX = "gateway.router.";

    /** Reads every key through {@code property} (full name → value or null); a bad value fails here, naming the key. */
    public static RouterConfig read(Function<String, String> property) {
        String strategy = text(property, "default-strategy", "auto").toLowerCase(Locale.ROOT);
        if (!STRATEGIES.contains(strategy)) {
            throw new IllegalArgumentException(PREFIX + "default-strategy is '" + strategy + "': expected one of " + STRATEGIES);
        }
        return new RouterConfig(strategy,
                list(property, "preferred-providers"),
                list(property, "blocked-providers"),
                bool(property, "enable-fallbacks", true),
                (int) number(property, "max-fallback-attempts", 3),
                number(property, "fallback-delay-ms", 0),
                decimal(property, "max-cost-per-request"),
                decimal(property, "cost-alert-threshold"),
                bool(property, "enable-cost-optimization", true),
                bool(property, "cache-enabled", false),
                number(property, "cache-ttl-seconds", 3600),
                bool(property, "load-balancing-enabled", true));
    }

    private static String text(Function<String, String> property, String key, String fallback) {
        String v = property.apply(PREFIX + key);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    private static List<String> list(Function<String, String> property, String key) {
        String v = text(property, key, "");
        return v.isEmpty() ? List.of() : Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .map(s -> s.toLowerCase(Locale.ROOT)).toList();
    }

    private static boolean bool(Function<String, String> property, String key, boolean fallback) {
        String v = text(property, key, String.valueOf(fallback));
        if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
            throw new IllegalArgumentException(PREFIX + key + " is '" + v + "': expected true or false");
        }
        return Boolean.parseBoolean(v);
    }

    private static long number(Function<String, String> property, String key, long fallback) {
        String v = text(property, key, String.valueOf(fallback));
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PREFIX + key + " is '" + v + "': expected a whole number >= 0");
        }
    }

    private static BigDecimal decimal(Function<String, String> property, String key) {
        String v = text(property, key, "");
        if (v.isEmpty()) {
            return null;
        }
        try {
            return new BigDecimal(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PREFIX + key + " is '" + v + "': expected a number");
        }
    }
}
