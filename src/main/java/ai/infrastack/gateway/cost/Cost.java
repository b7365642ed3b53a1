package ai.infrastack.gateway.cost;

import java.math.BigDecimal;

/**
 * The exact cost of one call in USD, unrounded; rounding happens only when rendering.
 * {@code cacheSavings} is what the cache-read tokens would have cost more at the full input rate.
 */
public record Cost(BigDecimal inputCost, BigDecimal outputCost, BigDecimal cacheSavings) {

    public BigDecimal totalCost() {
        return inputCost.add(outputCost);
    }
}
