package ai.infrastack.gateway.budget;

import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.Cost;
import ai.infrastack.gateway.core.Usage;
import ai.infrastack.gateway.cost.CostCalculator;
import ai.infrastack.gateway.streaming.TokenEstimator;
import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * The most a request can cost before it is sent: prompt tokens counted with a real BPE tokenizer
 * (o200k_base, jtokkit) plus a safety margin for vendors whose tokenizers count differently, a fixed
 * allowance per image, every prompt token at the dearer of the input and cache-write rates, and
 * {@code max_tokens × n} output tokens at the output rate — priced by the same calculator that
 * prices the answer. The output bound is exact (the vendor stops at max_tokens); the prompt count
 * is an estimate, which is why {@link BudgetSettler} also caps what is charged.
 */
public final class WorstCaseEstimator {

    /** A request's worst case; {@code cost} is null for a model without a price. */
    public record Estimate(long promptTokens, long outputTokens, BigDecimal cost, boolean clientSetMaxTokens) {}

    private final TokenEstimator tokens;
    private final CostCalculator prices;
    private final BigDecimal marginFactor;
    private final long tokensPerImage;

    public WorstCaseEstimator(TokenEstimator tokens, CostCalculator prices, BigDecimal marginPercent, long tokensPerImage) {
        this.tokens = tokens;
        this.prices = prices;
        this.marginFactor = BigDecimal.ONE.add(marginPercent.movePointLeft(2));
        this.tokensPerImage = tokensPerImage;
    }

    public Estimate estimate(ModelSpec model, JsonNode request) {
        long prompt = promptTokens(request);
        JsonNode max = request.hasNonNull("max_tokens") ? request.get("max_tokens") : request.get("max_completion_tokens");
        boolean clientSet = max != null && !max.isNull();
        long perChoice = clientSet ? max.asLong() : defaultOutput(model, prompt);
        long output = perChoice * Math.max(1, request.path("n").asLong(1));
        return new Estimate(prompt, output, cost(model, prompt, output), clientSet);
    }

    /** The most output tokens (per choice) that keep the worst case within {@code budget}; 0 when none fit. */
    public long outputWithin(ModelSpec model, JsonNode request, long promptTokens, BigDecimal budget) {
        if (!model.priced()) {
            return defaultOutput(model, promptTokens);
        }
        BigDecimal input = cost(model, promptTokens, 0);
        BigDecimal perToken = cost(model, promptTokens, 1_000_000).subtract(input).divide(BigDecimal.valueOf(1_000_000));
        if (perToken.signum() <= 0) {
            return defaultOutput(model, promptTokens);
        }
        BigDecimal left = budget.subtract(input);
        if (left.signum() <= 0) {
            return 0;
        }
        long n = Math.max(1, request.path("n").asLong(1));
        long total = left.divide(perToken, 0, RoundingMode.FLOOR).longValueExact();
        return Math.min(total / n, defaultOutput(model, promptTokens));
    }

    /** What the vendor may produce when the client sets no max_tokens: the model's output limit. */
    private static long defaultOutput(ModelSpec model, long prompt) {
        if (model.maxOutputTokens() > 0) {
            return model.maxOutputTokens();
        }
        return Math.max(1, model.contextWindow() - prompt);
    }

    long promptTokens(JsonNode request) {
        JsonNode messages = request.path("messages");
        long counted = tokens.estimate(messages, "").promptTokens();
        long images = 0;
        for (JsonNode m : messages) {
            for (JsonNode part : m.path("content")) {
                if ("image_url".equals(part.path("type").asText())) {
                    images++;
                }
            }
        }
        if (request.has("tools")) {
            counted += tokens.count(request.get("tools").toString());
        }
        if (request.has("response_format")) {
            counted += tokens.count(request.get("response_format").toString());
        }
        long padded = new BigDecimal(counted).multiply(marginFactor).setScale(0, RoundingMode.CEILING).longValueExact();
        return padded + images * tokensPerImage;
    }

    private BigDecimal cost(ModelSpec model, long prompt, long output) {
        if (!model.priced()) {
            return null;
        }
        // Every prompt token at the dearer of the plain and cache-write rates: a cache write may be billed above input.
        Cost plain = prices.cost(model, new Usage(prompt, 0, 0, output, 0, true));
        Cost written = prices.cost(model, new Usage(0, 0, prompt, output, 0, true));
        return plain.totalCost().max(written.totalCost());
    }
}
