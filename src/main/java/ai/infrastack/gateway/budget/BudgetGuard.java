package ai.infrastack.gateway.budget;

import ai.infrastack.gateway.auth.Caller;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.Cost;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.ResponseHeaders;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Pipeline step before the provider call: attributes the request (key, user, project), checks its
 * worst-case cost against {@code budget.max_cost} — lowering {@code max_tokens} when the client set
 * none and a smaller answer fits, else 402 — and reserves the worst case on every period budget
 * that applies, atomically across instances (402 when one cannot take it). {@link BudgetSettler}
 * charges the actual cost after the answer; a call that ends otherwise gives the hold back.
 */
public final class BudgetGuard implements Processor {
    private static final Logger LOG = LoggerFactory.getLogger(BudgetGuard.class);
    public static final String CAPPED_HEADER = "X-Gateway-Max-Tokens-Capped";
    static final String RESERVATION = "gatewayBudgetReservation";
    static final String ATTRIBUTION = "gatewayBudgetAttribution";

    private final WorstCaseEstimator estimator;
    private final BudgetLedger ledger;
    private final BudgetLimits limits;
    private final long minOutputTokens;
    private final UnsettledRelease release;

    public BudgetGuard(WorstCaseEstimator estimator, BudgetLedger ledger, BudgetLimits limits, long minOutputTokens) {
        this.estimator = estimator;
        this.ledger = ledger;
        this.limits = limits;
        this.minOutputTokens = minOutputTokens;
        this.release = new UnsettledRelease(ledger, RESERVATION);
    }

    /** The error handler's step that gives an unsettled hold back. */
    public UnsettledRelease release() {
        return release;
    }

    @Override
    public void process(Exchange exchange) {
        ObjectNode request = exchange.getProperty(ExchangeKeys.CHAT_REQUEST, ObjectNode.class);
        ModelSpec model = exchange.getProperty(ExchangeKeys.MODEL, ModelSpec.class);
        Caller caller = exchange.getProperty(ExchangeKeys.CALLER, Caller.class);
        JsonNode budget = request.path("budget");
        Attribution attribution = caller == null ? null : Attribution.of(caller, budget);
        if (attribution != null) {
            exchange.setProperty(ATTRIBUTION, attribution);
            exchange.setProperty(ExchangeKeys.ATTRIBUTED_USER_ID, attribution.userId());
            exchange.setProperty(ExchangeKeys.ATTRIBUTED_PROJECT_ID, attribution.projectId());
        }
        BigDecimal maxCost = decimal(budget, "max_cost");
        BigDecimal threshold = decimal(budget, "cost_alert_threshold");
        List<BudgetScope> scopes = new ArrayList<>();
        if (attribution != null) {
            try {
                limits.applying(attribution).forEach(l -> scopes.add(l.scope()));
            } catch (SQLException e) {
                LOG.warn("Budgets unreadable for request {}: {}", exchange.getProperty(ExchangeKeys.REQUEST_ID), e.toString());
                throw unavailable();
            }
        }
        boolean limited = !scopes.isEmpty();
        if (threshold != null && attribution != null) {
            scopes.add(attribution.narrowest(Period.DAY));
        }
        if (maxCost == null && scopes.isEmpty() || !model.priced()) {
            // Nothing to check (no tokenizing on the common path), or no price: nothing can be charged.
            return;
        }
        WorstCaseEstimator.Estimate estimate = estimator.estimate(model, request);
        if (maxCost != null && estimate.cost().compareTo(maxCost) > 0) {
            String why = "The request's worst-case cost is $" + Cost.rendered(estimate.cost()) + " (" + estimate.promptTokens()
                    + " prompt tokens at most, " + estimate.outputTokens() + " output tokens), above budget.max_cost $" + maxCost.toPlainString();
            if (estimate.clientSetMaxTokens()) {
                throw refusal("budget.max_cost", why + "; lower max_tokens or raise budget.max_cost");
            }
            long fits = estimator.outputWithin(model, request, estimate.promptTokens(), maxCost);
            if (fits < minOutputTokens) {
                throw refusal("budget.max_cost", why + "; not even a minimal answer (" + minOutputTokens + " tokens) fits");
            }
            cap(exchange, request, fits);
            estimate = estimator.estimate(model, request);
        }
        if (!scopes.isEmpty()) {
            reserve(exchange, model, request, estimate, maxCost, scopes, limited);
        }
    }

    private void reserve(Exchange exchange, ModelSpec model, ObjectNode request, WorstCaseEstimator.Estimate estimate, BigDecimal maxCost,
                         List<BudgetScope> scopes, boolean limited) {
        String requestId = exchange.getProperty(ExchangeKeys.REQUEST_ID, String.class);
        try {
            BudgetLedger.Outcome outcome = ledger.reserve(scopes, estimate.cost(), requestId);
            if (outcome.refusal() != null && !estimate.clientSetMaxTokens()) {
                // A smaller answer may still fit what the budget has left: cap max_tokens to it, once.
                BudgetLedger.Refusal r = outcome.refusal();
                BigDecimal room = maxCost == null ? r.remaining() : r.remaining().min(maxCost);
                long fits = estimator.outputWithin(model, request, estimate.promptTokens(), room);
                if (fits >= minOutputTokens) {
                    cap(exchange, request, fits);
                    WorstCaseEstimator.Estimate smaller = estimator.estimate(model, request);
                    outcome = ledger.reserve(scopes, smaller.cost(), requestId);
                }
            }
            if (outcome.refusal() != null) {
                BudgetLedger.Refusal r = outcome.refusal();
                throw refusal("budget", "The " + r.scope().describe() + " cannot cover this request: its worst case is $"
                        + Cost.rendered(estimate.cost()) + " and $" + Cost.rendered(r.remaining()) + " of $" + Cost.rendered(r.limit())
                        + " is left (spent $" + Cost.rendered(r.spent()) + ", reserved $" + Cost.rendered(r.reserved())
                        + "); it resets at " + r.reset());
            }
            exchange.setProperty(RESERVATION, outcome.reservation());
            exchange.getExchangeExtension().addOnCompletion(release);
        } catch (SQLException e) {
            LOG.warn("Budget reservation failed for request {}: {}", requestId, e.toString());
            if (limited) {
                throw unavailable();
            }
            // Only an alert threshold to track: the call goes on, its spend uncounted for the alert.
        }
    }

    private static void cap(Exchange exchange, ObjectNode request, long maxTokens) {
        request.put("max_tokens", maxTokens);
        ResponseHeaders.add(exchange, CAPPED_HEADER, String.valueOf(maxTokens));
    }

    private static GatewayException refusal(String param, String message) {
        return GatewayException.of(ErrorType.PERMISSION, message).status(402).param(param).code("budget_exceeded").build();
    }

    private static GatewayException unavailable() {
        return GatewayException.of(ErrorType.SERVER, "Budgets cannot be checked right now (the database is unreachable); try again shortly")
                .status(503).code("budget_unavailable").build();
    }

    static BigDecimal decimal(JsonNode budget, String field) {
        JsonNode v = budget == null ? null : budget.get(field);
        return v == null || !v.isNumber() ? null : v.decimalValue();
    }
}
