package ai.infrastack.gateway.catalog;

import java.math.BigDecimal;

/**
 * Prices in USD per 1M tokens that apply to a whole request once its prompt exceeds
 * {@code abovePromptTokens} (0 for the base rate). A null cache price means the model has none.
 */
public record PriceTier(long abovePromptTokens, BigDecimal input, BigDecimal output,
                        BigDecimal cachedInput, BigDecimal cacheWrite) {
}
