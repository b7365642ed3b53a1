package ai.infrastack.gateway.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.File;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * A model's base prices read straight from the pricing files, independently of the gateway's
 * catalog code, so cost assertions check the gateway against the data rather than against itself.
 */
public record CatalogPrices(BigDecimal inputPerMillion, BigDecimal outputPerMillion, BigDecimal cachedPerMillion) {
    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

    public static CatalogPrices of(String modelId) {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        File[] files = new File("pricing").listFiles((d, n) -> n.endsWith(".yaml"));
        try {
            for (File f : files) {
                for (JsonNode m : yaml.readTree(f).path("models")) {
                    if (modelId.equals(m.path("id").asText())) {
                        JsonNode p = m.path("pricing");
                        return new CatalogPrices(p.get("input").decimalValue(), p.get("output").decimalValue(),
                                p.has("cached_input") ? p.get("cached_input").decimalValue() : null);
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        throw new IllegalArgumentException("no model " + modelId + " in pricing/");
    }

    /**
     * The prices that apply to a request with this many prompt tokens: the base prices, or those of the
     * highest {@code tiers} entry whose {@code above_prompt_tokens} the prompt exceeds (the whole request
     * is billed at that tier). A tier without {@code cached_input} has no cache price.
     */
    public static CatalogPrices forPrompt(String modelId, long promptTokens) {
        CatalogPrices prices = of(modelId);
        long reached = -1;
        for (JsonNode tier : modelNode(modelId).path("pricing").path("tiers")) {
            long above = tier.path("above_prompt_tokens").asLong();
            if (promptTokens > above && above > reached) {
                reached = above;
                prices = new CatalogPrices(tier.get("input").decimalValue(), tier.get("output").decimalValue(),
                        tier.has("cached_input") ? tier.get("cached_input").decimalValue() : null);
            }
        }
        return prices;
    }

    private static JsonNode modelNode(String modelId) {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        try {
            for (File f : new File("pricing").listFiles((d, n) -> n.endsWith(".yaml"))) {
                for (JsonNode m : yaml.readTree(f).path("models")) {
                    if (modelId.equals(m.path("id").asText())) {
                        return m;
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        throw new IllegalArgumentException("no model " + modelId + " in pricing/");
    }

    public BigDecimal inputFor(long tokens) {
        return rounded(inputPerMillion.multiply(BigDecimal.valueOf(tokens)).divide(MILLION));
    }

    public BigDecimal outputFor(long tokens) {
        return rounded(outputPerMillion.multiply(BigDecimal.valueOf(tokens)).divide(MILLION));
    }

    public BigDecimal cachedFor(long tokens) {
        return rounded(cachedPerMillion.multiply(BigDecimal.valueOf(tokens)).divide(MILLION));
    }

    /** The gateway renders costs at 8 decimals. */
    public static BigDecimal rounded(BigDecimal v) {
        return v.setScale(8, RoundingMode.HALF_EVEN);
    }
}
