package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.core.Settings;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;

import org.apache.camel.spi.BeanRepository;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.Optional;

/**
 * One Resilience4j circuit breaker per provider deployment, used by the circuitBreaker step of
 * routes/provider-template.yaml and read by routing (open breakers are left out of the candidates)
 * and health. On by default, count-based: after {@code gateway.breaker.minimum-calls} calls, a
 * failure rate at or above the threshold opens it, so a dead provider stops costing every request
 * its retries; after {@code open-wait-ms} it half-opens and lets a few calls probe. A refusal of
 * the request itself (4xx) is not the provider's failure and is not counted.
 */
public final class ProviderBreakers implements BeanRepository {
    public static final String BEAN = "providerBreakers";
    /** A route names its breaker {@code breaker-<deployment>}; this repository creates it on first lookup. */
    static final String PREFIX = "breaker-";

    private final CircuitBreakerRegistry registry;

    public ProviderBreakers(Settings settings) {
        this(CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(settings.integer("gateway.breaker.window-size"))
                .minimumNumberOfCalls(settings.integer("gateway.breaker.minimum-calls"))
                .failureRateThreshold(Float.parseFloat(settings.require("gateway.breaker.failure-rate-threshold")))
                .waitDurationInOpenState(Duration.ofMillis(settings.longValue("gateway.breaker.open-wait-ms")))
                .permittedNumberOfCallsInHalfOpenState(settings.integer("gateway.breaker.half-open-calls"))
                // so an open breaker half-opens on time even when routing sends it nothing
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .ignoreExceptions(ProviderRefusal.class)
                .writableStackTraceEnabled(false)
                .build());
    }

    ProviderBreakers(CircuitBreakerConfig config) {
        this.registry = CircuitBreakerRegistry.of(config);
    }

    /** The breaker of a deployment ("openai", or "openai/eu" for a named deployment), created on first use. */
    public CircuitBreaker forDeployment(String deployment) {
        return registry.circuitBreaker(deployment);
    }

    public Optional<CircuitBreaker.State> state(String deployment) {
        return registry.find(deployment).map(CircuitBreaker::getState);
    }

    /** False while the deployment's breaker is open: a call would be refused without reaching it. */
    public boolean admits(String deployment) {
        CircuitBreaker.State s = state(deployment).orElse(CircuitBreaker.State.CLOSED);
        return s != CircuitBreaker.State.OPEN && s != CircuitBreaker.State.FORCED_OPEN;
    }

    public CircuitBreakerRegistry registry() {
        return registry;
    }

    // ---- BeanRepository: so a provider file added while the gateway runs finds its breaker too ----

    @Override
    public Object lookupByName(String name) {
        return name.startsWith(PREFIX) && name.length() > PREFIX.length() ? forDeployment(name.substring(PREFIX.length())) : null;
    }

    @Override
    public <T> T lookupByNameAndType(String name, Class<T> type) {
        Object bean = type.isAssignableFrom(CircuitBreaker.class) ? lookupByName(name) : null;
        return bean == null ? null : type.cast(bean);
    }

    @Override
    public <T> Map<String, T> findByTypeWithName(Class<T> type) {
        return Map.of();
    }

    @Override
    public <T> Set<T> findByType(Class<T> type) {
        return Set.of();
    }
}
