package ai.infrastack.gateway.health;

import ai.infrastack.gateway.core.Completion;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.Latency;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Wire-tap step: what a finished request says about its provider — a completed answer (unary or
 * streamed) its latency, a provider error a failure. A client that left, or an answer from the
 * response cache, says nothing either way.
 */
public final class ProviderHealthRecorder implements Processor {
    private final ProviderHealth health;

    public ProviderHealthRecorder(ProviderHealth health) {
        this.health = health;
    }

    @Override
    public void process(Exchange exchange) {
        GatewayException error = exchange.getProperty(ExchangeKeys.ERROR, GatewayException.class);
        if (error != null) {
            if (error.type() == ErrorType.PROVIDER && error.provider() != null) {
                health.recordFailure(error.provider());
            }
            return;
        }
        if (exchange.getProperty(ExchangeKeys.CACHE_HIT, false, Boolean.class)) {
            return; // answered from the response cache: the provider was not called
        }
        Completion completion = exchange.getProperty(ExchangeKeys.COMPLETION, Completion.class);
        Latency latency = exchange.getProperty(ExchangeKeys.LATENCY, Latency.class);
        String provider = exchange.getProperty(ExchangeKeys.PROVIDER, String.class);
        if (completion != null && completion.complete() && latency != null && provider != null) {
            health.recordSuccess(provider, latency.upstreamMs());
        }
    }
}
