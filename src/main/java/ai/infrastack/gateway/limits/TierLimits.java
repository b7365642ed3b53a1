package ai.infrastack.gateway.limits;

import ai.infrastack.gateway.auth.Caller;
import ai.infrastack.gateway.core.Settings;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Each tier's default limits, from {@code gateway.limits.<tier>.requests-per-hour} and
 * {@code .tokens-per-hour}; a key's own limits (admin API, keys file) override them one by one.
 * The master key is not limited.
 */
public final class TierLimits {
    private final Map<String, HourlyLimits> byTier;

    public TierLimits(Map<String, HourlyLimits> byTier) {
        this.byTier = Map.copyOf(byTier);
    }

    static TierLimits from(Settings settings, Iterable<String> tiers) {
        Map<String, HourlyLimits> byTier = new TreeMap<>();
        for (String tier : tiers) {
            byTier.put(tier, new HourlyLimits(settings.longValue("gateway.limits." + tier + ".requests-per-hour"),
                    settings.longValue("gateway.limits." + tier + ".tokens-per-hour")));
        }
        return new TierLimits(byTier);
    }

    /** The caller's limits, or empty for the unlimited master key. An unknown tier gets the free tier's. */
    public Optional<HourlyLimits> of(Caller caller) {
        if (caller.admin()) {
            return Optional.empty();
        }
        HourlyLimits tier = byTier.getOrDefault(caller.tier(), byTier.get("free"));
        Caller.CustomLimits own = caller.customLimits();
        return Optional.of(new HourlyLimits(
                own.requestsPerHour() != null ? own.requestsPerHour() : tier.requests(),
                own.tokensPerHour() != null ? own.tokensPerHour() : tier.tokens()));
    }
}
