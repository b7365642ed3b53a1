package ai.infrastack.gateway.limits;

import ai.infrastack.gateway.auth.Caller;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.SynchronizationAdapter;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * Pipeline step after validation: admits the request under its key's hourly request and token
 * limits (a rolling window), counting the request and reserving its token estimate, or refuses it
 * with 429 {@code rate_limit_error} and {@code Retry-After}. Either way the six
 * {@code X-RateLimit-*} headers go on whatever answer the request gets — unary, stream or error.
 * A request that ends without reaching {@link TokenCharger} gives its reservation back.
 */
public final class RateLimiter implements Processor {
    private final TierLimits tiers;
    private final WindowStore store;
    private final WindowGeometry geometry;
    private final TokenDemand demand;
    private final Clock clock;

    public RateLimiter(TierLimits tiers, WindowStore store, WindowGeometry geometry, TokenDemand demand, Clock clock) {
        this.tiers = tiers;
        this.store = store;
        this.geometry = geometry;
        this.demand = demand;
        this.clock = clock;
    }

    @Override
    public void process(Exchange exchange) {
        Caller caller = exchange.getProperty(ExchangeKeys.CALLER, Caller.class);
        Optional<HourlyLimits> applying = caller == null ? Optional.empty() : tiers.of(caller);
        if (applying.isEmpty()) {
            return;
        }
        HourlyLimits limits = applying.get();
        long tokens = demand.estimate(exchange.getProperty(ExchangeKeys.CHAT_REQUEST, JsonNode.class));
        long now = clock.millis();
        Admission admission = store.admit(caller.keyId(), limits, tokens, now);
        LimitReport report = new LimitReport(limits, admission.counts(), geometry, now);
        report.addTo(exchange);
        if (!admission.admitted()) {
            throw refusal(limits, report, tokens);
        }
        TokenReservation reservation = new TokenReservation(caller.keyId(), limits, admission.bucket(), tokens);
        exchange.setProperty(ExchangeKeys.RATE_LIMIT_RESERVATION, reservation);
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                // No answer reached the charging step (an upstream error, a refusal further on):
                // nothing was used, so the estimate is given back.
                if (reservation.claim()) {
                    store.settle(reservation.key(), reservation.bucket(), reservation.tokens(), 0, clock.millis());
                }
            }
        });
    }

    private static GatewayException refusal(HourlyLimits limits, LimitReport report, long tokens) {
        long retryAfter = report.retryAfterSeconds(tokens);
        String message;
        String code = "rate_limit_exceeded";
        if (report.remainingRequests() == 0) {
            message = "Rate limit reached for this API key: " + limits.requests() + " requests per hour. Retry after "
                    + retryAfter + " seconds.";
        } else if (tokens > limits.tokens()) {
            code = "request_too_large";
            message = "This request needs about " + tokens + " tokens, more than this API key's limit of "
                    + limits.tokens() + " tokens per hour; lower max_tokens or shorten the messages.";
        } else {
            message = "Rate limit reached for this API key: " + limits.tokens() + " tokens per hour, "
                    + report.remainingTokens() + " left, and this request needs about " + tokens + ". Retry after "
                    + retryAfter + " seconds.";
        }
        return GatewayException.of(ErrorType.RATE_LIMIT, message).code(code)
                .headers(Map.of("Retry-After", Long.toString(retryAfter))).build();
    }
}
