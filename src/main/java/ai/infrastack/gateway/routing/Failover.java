package ai.infrastack.gateway.routing;

import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.Attempts;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.provider.ProviderBreakers;
import ai.infrastack.gateway.provider.ProviderRefusal;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.Processor;

/**
 * The provider route's fallback step (routes/provider-template.yaml), run when its circuit breaker
 * reports a failed call or refuses one. A refusal of the request itself (4xx) goes back to the
 * client unchanged. A provider failure (5xx, timeout, network, open breaker) moves the request to
 * the next candidate of its {@link RoutingDecision} whose breaker admits calls — at most the
 * router's max_fallback_attempts, after fallback_delay_ms — and sets the {@code provider}
 * property for the route to call; with none left, or fallbacks disabled, the failure is the answer.
 */
public final class Failover implements Processor {
    private final RouterSettings settings;
    private final ProviderBreakers breakers;

    public Failover(RouterSettings settings, ProviderBreakers breakers) {
        this.settings = settings;
        this.breakers = breakers;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        Throwable caught = exchange.getProperty(ExchangePropertyKey.EXCEPTION_CAUGHT, Throwable.class);
        exchange.removeProperty(ExchangePropertyKey.EXCEPTION_CAUGHT.getName());
        if (caught instanceof ProviderRefusal refusal) {
            throw refusal.reason();
        }
        String provider = exchange.getProperty(ExchangeKeys.PROVIDER, String.class);
        ModelSpec model = exchange.getProperty(ExchangeKeys.MODEL, ModelSpec.class);
        GatewayException failure;
        String why;
        if (caught instanceof GatewayException g) {
            failure = g;
            why = "failed (" + (g.upstreamStatus() != null ? "HTTP " + g.upstreamStatus() : g.code()) + ")";
        } else if (caught == null || caught instanceof CallNotPermittedException) {
            // an open breaker refuses before the call, so nothing was thrown by the call itself
            Attempts.of(exchange).add(provider, model.id(), exchange.getProperty(ExchangeKeys.DEPLOYMENT, provider, String.class),
                    "breaker_open", 0, 0);
            failure = GatewayException.of(ErrorType.PROVIDER, "The provider " + provider + " is unavailable (circuit open after repeated failures)")
                    .status(503).provider(provider).code("provider_unavailable").build();
            why = "circuit open";
        } else {
            throw caught instanceof Exception e ? e : new IllegalStateException(caught);
        }
        RouterConfig config = settings.current();
        RoutingDecision decision = exchange.getProperty(ExchangeKeys.ROUTING, RoutingDecision.class);
        ModelSpec next = decision == null || !config.enableFallbacks() ? null
                : decision.failOver(m -> breakers.admits(m.provider()), config.maxFallbackAttempts(), why);
        if (next == null) {
            throw failure;
        }
        if (config.fallbackDelayMs() > 0) {
            Thread.sleep(config.fallbackDelayMs());
        }
        exchange.setProperty(ExchangeKeys.MODEL, next);
        exchange.setProperty(ExchangeKeys.PROVIDER, next.provider());
        exchange.removeProperty(ExchangeKeys.DEPLOYMENT);
    }
}
