package ai.infrastack.gateway.health;

import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.Attempts;
import ai.infrastack.gateway.routing.ObservedLatency;

import ai.infrastack.gateway.core.Completion;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.Latency;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Wire-tap step: what a finished request says about its providers — each upstream attempt a
 * success or failure for the error rate, the answering model's latency for health and for the
 * speed strategy (routing.ObservedLatency) — and about its provider — a completed answer (unary or
 * streamed) its latency, a provider error a failure. A client that left, or an answer from the
 * response cache, says nothing either way.
 */
public final class ProviderHealthRecorder implements Processor {
    private final ProviderHealth health;
    private final ObservedLatency latency;

    public ProviderHealthRecorder(ProviderHealth health, ObservedLatency latency) {
        this.health = health;
        this.latency = latency;
    }

    @Override
    public void process(Exchange exchange) {
        Attempts attempts = exchange.getProperty(ExchangeKeys.ATTEMPTS, Attempts.class);
        if (attempts != null) {
            for (Attempts.Attempt a : attempts.all()) {
                // a refused request (4xx) says nothing of the provider, nor does a call its breaker kept away
                if (!a.outcome().equals("refused") && !a.outcome().equals("breaker_open")) {
                    health.recordAttempt(a.provider(), a.outcome().equals("ok"));
                    if (!a.outcome().equals("ok")) {
                        health.recordFailure(a.provider());
                    }
                }
            }
        }
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
        Latency timing = exchange.getProperty(ExchangeKeys.LATENCY, Latency.class);
        String provider = exchange.getProperty(ExchangeKeys.PROVIDER, String.class);
        if (completion != null && completion.complete() && timing != null && provider != null) {
            health.recordSuccess(provider, timing.upstreamMs());
            ModelSpec model = exchange.getProperty(ExchangeKeys.MODEL, ModelSpec.class);
            if (model != null) {
                latency.record(provider, model.id(), timing.upstreamMs());
            }
        }
    }
}
