package ai.infrastack.gateway.budget;

import ai.infrastack.gateway.core.Cost;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.webhook.WebhookOutbox;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * Pipeline step after the cost step, for unary and streamed answers alike: bounds the charged cost
 * by {@code budget.max_cost} and by what was reserved (the output is bounded by max_tokens; only a
 * prompt the tokenizer under-counted could pass them, and that difference is the gateway's, logged),
 * then settles the reservation with it and fires the cost alerts it crosses.
 */
public final class BudgetSettler implements Processor {
    private static final Logger LOG = LoggerFactory.getLogger(BudgetSettler.class);

    private final BudgetLedger ledger;
    private final CostAlerts alerts;
    private final WebhookOutbox outbox;

    public BudgetSettler(BudgetLedger ledger, CostAlerts alerts, WebhookOutbox outbox) {
        this.ledger = ledger;
        this.alerts = alerts;
        this.outbox = outbox;
    }

    @Override
    public void process(Exchange exchange) {
        ObjectNode request = exchange.getProperty(ExchangeKeys.CHAT_REQUEST, ObjectNode.class);
        JsonNode budget = request == null ? null : request.path("budget");
        BudgetLedger.Reservation reservation = exchange.getProperty(BudgetGuard.RESERVATION, BudgetLedger.Reservation.class);
        Cost cost = exchange.getProperty(ExchangeKeys.COST, Cost.class);
        BigDecimal bound = BudgetGuard.decimal(budget, "max_cost");
        if (reservation != null) {
            bound = bound == null ? reservation.amount() : bound.min(reservation.amount());
        }
        if (cost != null && bound != null) {
            Cost capped = capped(cost, bound);
            if (capped != cost) {
                LOG.warn("Request {} cost ${} upstream, above its bound ${} (prompt under-estimated); charged ${}",
                        exchange.getProperty(ExchangeKeys.REQUEST_ID), cost.totalCost().toPlainString(), bound.toPlainString(),
                        capped.totalCost().toPlainString());
                cost = capped;
                exchange.setProperty(ExchangeKeys.COST, cost);
            }
        }
        if (reservation == null) {
            return;
        }
        // Taken now, so the release on completion leaves it alone whatever happens below.
        exchange.removeProperty(BudgetGuard.RESERVATION);
        Attribution attribution = exchange.getProperty(BudgetGuard.ATTRIBUTION, Attribution.class);
        BigDecimal threshold = BudgetGuard.decimal(budget, "cost_alert_threshold");
        Map<BudgetScope, List<BigDecimal>> own = threshold == null || attribution == null
                ? Map.of() : Map.of(attribution.narrowest(Period.DAY), List.of(threshold));
        BigDecimal charged = cost == null ? BigDecimal.ZERO : Cost.rendered(cost.inputCost()).add(Cost.rendered(cost.outputCost()));
        try {
            ledger.settle(reservation, charged, own, (c, crossing) -> alerts.enqueue(c, crossing, attribution));
            outbox.wake();
        } catch (SQLException e) {
            LOG.warn("Reservation {} of request {} not settled ({}); it stays held until it expires", reservation.id(),
                    exchange.getProperty(ExchangeKeys.REQUEST_ID), e.toString());
        }
    }

    /** The cost with its rendered total at most {@code bound}: output trimmed first, then input. */
    static Cost capped(Cost cost, BigDecimal bound) {
        BigDecimal limit = bound.setScale(Cost.RENDERED_SCALE, RoundingMode.FLOOR);
        BigDecimal in = Cost.rendered(cost.inputCost());
        BigDecimal out = Cost.rendered(cost.outputCost());
        if (in.add(out).compareTo(limit) <= 0) {
            return cost;
        }
        BigDecimal input = cost.inputCost().setScale(Cost.RENDERED_SCALE, RoundingMode.FLOOR).min(limit);
        return new Cost(input, limit.subtract(input), cost.cacheSavings());
    }
}
