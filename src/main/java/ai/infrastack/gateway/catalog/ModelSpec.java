package ai.infrastack.gateway.catalog;

import java.util.List;
import java.util.Set;

/**
 * One model of the catalog, as read from {@code pricing/<provider>.yaml}.
 *
 * @param tiers     base price first, then context-length tiers in ascending threshold; empty when
 *                  the catalog has no price for the model (such usage is flagged, never costed at $0)
 * @param quality   0–1 answer-quality score from the catalog ({@code quality:}), ranked by routing's quality strategy
 */
public record ModelSpec(
        String id,
        String provider,
        String displayName,
        String upstream,
        List<String> aliases,
        List<PriceTier> tiers,
        long contextWindow,
        long maxOutputTokens,
        boolean vision,
        boolean functionCalling,
        boolean streaming,
        String category,
        String tier,
        long avgLatencyMs,
        Set<String> unsupportedParams,
        String maxTokensParam,
        long defaultMaxTokens,
        double quality) {

    /** A model without a quality score of its own: the middle of the scale. */
    public ModelSpec(String id, String provider, String displayName, String upstream, List<String> aliases, List<PriceTier> tiers,
                     long contextWindow, long maxOutputTokens, boolean vision, boolean functionCalling, boolean streaming,
                     String category, String tier, long avgLatencyMs, Set<String> unsupportedParams, String maxTokensParam,
                     long defaultMaxTokens) {
        this(id, provider, displayName, upstream, aliases, tiers, contextWindow, maxOutputTokens, vision, functionCalling,
                streaming, category, tier, avgLatencyMs, unsupportedParams, maxTokensParam, defaultMaxTokens, 0.5);
    }

    public boolean priced() {
        return !tiers.isEmpty();
    }

    /** The tier that applies to a request with this many prompt tokens. */
    public PriceTier tierFor(long promptTokens) {
        PriceTier chosen = tiers.get(0);
        for (PriceTier t : tiers) {
            if (promptTokens > t.abovePromptTokens()) {
                chosen = t;
            }
        }
        return chosen;
    }
}
