package ai.infrastack.gateway.core;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The exact cost of one call in USD, unrounded; rounding happens only when rendering.
 * {@code cacheSavings} is what the cache-read tokens would have cost more at the full input rate.
 */
public record Cost(BigDecimal inputCost, BigDecimal outputCost, BigDecimal cacheSavings) {

    /** Costs are rendered, and stored, with this many decimals; nothing is rounded before. */
    public static final int RENDERED_SCALE = 8;

    public BigDecimal totalCost() {
        return inputCost.add(outputCost);
    }

    /** A cost as the client sees it: 8 decimals, no trailing zeros. */
    public static BigDecimal rendered(BigDecimal v) {
        BigDecimal r = v.setScale(RENDERED_SCALE, RoundingMode.HALF_EVEN).stripTrailingZeros();
        return r.scale() < 0 ? r.setScale(0) : r;
    }
}
