package ai.infrastack.gateway.cost;

import ai.infrastack.gateway.core.Cost;
import ai.infrastack.gateway.core.Usage;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.catalog.PriceTier;
import ai.infrastack.gateway.core.Completion;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Pipeline step: cost = each usage bucket × its catalog rate (per 1M tokens), in BigDecimal, with the
 * configured markup. Usage with tokens but no catalog price is counted and logged as an error,
 * and the response carries no cost rather than a made-up $0.
 */
public final class CostCalculator implements Processor {
    private static final Logger LOG = LoggerFactory.getLogger(CostCalculator.class);
    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

    private final BigDecimal markupFactor;
    private final BigDecimal cacheHitFactor;
    private final AtomicLong unpricedResponses = new AtomicLong();

    public CostCalculator(BigDecimal markupPercent) {
        this(markupPercent, BigDecimal.ZERO);
    }

    /** {@code cacheHitPercent}: what an answer from the response cache is charged, in percent of the call's cost. */
    public CostCalculator(BigDecimal markupPercent, BigDecimal cacheHitPercent) {
        this.markupFactor = BigDecimal.ONE.add(markupPercent.movePointLeft(2));
        this.cacheHitFactor = cacheHitPercent.movePointLeft(2);
    }

    @Override
    public void process(Exchange exchange) {
        ModelSpec model = exchange.getProperty(ExchangeKeys.MODEL, ModelSpec.class);
        Completion result = exchange.getProperty(ExchangeKeys.COMPLETION, Completion.class);
        Cost cost = price(model, result.usage(), exchange.getProperty(ExchangeKeys.REQUEST_ID));
        if (cost != null && exchange.getProperty(ExchangeKeys.CACHE_HIT, false, Boolean.class)) {
            cost = cacheHit(cost);
        }
        exchange.setProperty(ExchangeKeys.COST, cost);
    }

    /**
     * An answer from the response cache: no upstream call, so it costs the configured cache price
     * (a percent of what the call would have cost, 0 by default), and saves the rest.
     */
    Cost cacheHit(Cost call) {
        BigDecimal input = call.inputCost().multiply(cacheHitFactor);
        BigDecimal output = call.outputCost().multiply(cacheHitFactor);
        return new Cost(input, output, call.totalCost().subtract(input).subtract(output));
    }

    /** {@link #cost}, and a counted, logged error when tokens were used but the model has no price. */
    public Cost price(ModelSpec model, Usage usage, Object requestId) {
        Cost cost = cost(model, usage);
        if (cost == null && usage.totalTokens() > 0) {
            unpricedResponses.incrementAndGet();
            LOG.error("Model {} used {} tokens but has no price in the catalog; request {} is not costed",
                    model.id(), usage.totalTokens(), requestId);
        }
        return cost;
    }

    /** The cost of this usage, or null when the model has no price. */
    public Cost cost(ModelSpec model, Usage usage) {
        if (!model.priced()) {
            return null;
        }
        PriceTier rate = model.tierFor(usage.promptTokens());
        // A model without a cache price bills cached tokens at the full input rate.
        BigDecimal readRate = rate.cachedInput() != null ? rate.cachedInput() : rate.input();
        BigDecimal writeRate = rate.cacheWrite() != null ? rate.cacheWrite() : rate.input();
        BigDecimal input = tokens(usage.uncachedInput(), rate.input())
                .add(tokens(usage.cacheRead(), readRate))
                .add(tokens(usage.cacheWrite(), writeRate));
        BigDecimal output = tokens(usage.output(), rate.output());
        BigDecimal savings = tokens(usage.cacheRead(), rate.input().subtract(readRate));
        return new Cost(input.multiply(markupFactor), output.multiply(markupFactor), savings.multiply(markupFactor));
    }

    /** Responses that had tokens but no price; exported as a metric by the metrics issue. */
    public long unpricedResponses() {
        return unpricedResponses.get();
    }

    private static BigDecimal tokens(long count, BigDecimal perMillion) {
        return count == 0 ? BigDecimal.ZERO : perMillion.multiply(BigDecimal.valueOf(count)).divide(MILLION);
    }
}
