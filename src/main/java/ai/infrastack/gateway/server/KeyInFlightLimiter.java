package ai.infrastack.gateway.server;

import ai.infrastack.gateway.auth.Caller;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.util.Map;

/**
 * Pipeline step after authentication: holds a place under the caller's key's ceiling of calls in
 * flight until the exchange completes (for a stream, until it ends), or refuses the call at once
 * with 503 {@code gateway_overloaded} and Retry-After.
 */
public final class KeyInFlightLimiter implements Processor {
    private final InFlightLimits limits;
    private final int retryAfterSeconds;

    KeyInFlightLimiter(InFlightLimits limits, int retryAfterSeconds) {
        this.limits = limits;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    @Override
    public void process(Exchange exchange) {
        Caller caller = exchange.getProperty(ExchangeKeys.CALLER, Caller.class);
        if (caller == null) {
            return;
        }
        String key = caller.keyId();
        if (!limits.enterKey(key)) {
            throw GatewayException.of(ErrorType.SERVER, "This API key is at its limit of calls in flight; retry shortly")
                    .status(503).code("gateway_overloaded").headers(Map.of("Retry-After", String.valueOf(retryAfterSeconds)))
                    .build();
        }
        exchange.getExchangeExtension().addOnCompletion(new org.apache.camel.support.SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                limits.exitKey(key);
            }
        });
    }
}
