package ai.infrastack.gateway.limits;

import ai.infrastack.gateway.auth.Caller;
import ai.infrastack.gateway.core.ExchangeKeys;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.Map;

/**
 * Error-path step: an error answered before the rate limiter ran (a refused key's in-flight
 * ceiling, an invalid request) still tells a known caller where its window stands, read without
 * counting anything. Best effort: it never replaces the error being answered.
 */
public final class RateLimitHeaders implements Processor {
    private static final Logger LOG = LoggerFactory.getLogger(RateLimitHeaders.class);

    private final TierLimits tiers;
    private final WindowStore store;
    private final WindowGeometry geometry;
    private final Clock clock;

    public RateLimitHeaders(TierLimits tiers, WindowStore store, WindowGeometry geometry, Clock clock) {
        this.tiers = tiers;
        this.store = store;
        this.geometry = geometry;
        this.clock = clock;
    }

    @Override
    public void process(Exchange exchange) {
        Caller caller = exchange.getProperty(ExchangeKeys.CALLER, Caller.class);
        @SuppressWarnings("unchecked")
        Map<String, String> added = exchange.getProperty(ExchangeKeys.RESPONSE_HEADERS, Map.class);
        if (caller == null || added != null && added.containsKey("X-RateLimit-Limit-Requests")) {
            return;
        }
        tiers.of(caller).ifPresent(limits -> {
            try {
                long now = clock.millis();
                new LimitReport(limits, store.peek(caller.keyId(), now), geometry, now).addTo(exchange);
            } catch (RuntimeException e) {
                LOG.debug("Rate-limit headers left off an error answer: {}", e.toString());
            }
        });
    }
}
