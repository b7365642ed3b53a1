package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.Attempts;
import ai.infrastack.gateway.core.ExchangeKeys;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.core.IntervalFunction;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.ProducerTemplate;

import java.util.concurrent.TimeUnit;

/**
 * Provider step inside the circuit breaker: makes the upstream call (direct:upstream-call) and
 * decides, per failed attempt, what the same deployment does next. A network error (refused, reset,
 * closed without an answer) is retried up to {@code gateway.retry.network-retries} times with
 * exponential backoff and jitter (Resilience4j's IntervalFunction); a 429 whose Retry-After is
 * within {@code gateway.retry.max-retry-after-ms} is waited out once; anything else ends here:
 * a 5xx or a timeout is thrown for the breaker to count and the failover step to handle, a refusal
 * of the request (4xx) as a {@link ProviderRefusal}. Every attempt is recorded (core.Attempts).
 * A stream is only opened here (read up to its first content), so nothing is ever retried after
 * content reached the client. The deployment (of several the provider file may declare) is picked
 * by the provider's {@link DeploymentBalancer} and counted busy until its answer is relayed.
 */
public final class RetryingUpstreamCall implements Processor {
    private static final String UPSTREAM_CALL = "direct:upstream-call";

    private final ProducerTemplate template;
    private final ProviderBreakers breakers;
    private final int networkRetries;
    private final IntervalFunction backoff;
    private final long maxRetryAfterMs;
    private volatile java.util.function.BooleanSupplier balancing = () -> true;

    public RetryingUpstreamCall(ProducerTemplate template, ProviderBreakers breakers, int networkRetries, long initialBackoffMs,
                                double jitter, long maxRetryAfterMs) {
        this.template = template;
        this.breakers = breakers;
        this.networkRetries = networkRetries;
        this.backoff = IntervalFunction.ofExponentialRandomBackoff(initialBackoffMs, 2.0, jitter);
        this.maxRetryAfterMs = maxRetryAfterMs;
    }

    /** Whether calls are spread over a provider's deployments (the router's load_balancing_enabled); else the first takes all. */
    public void balanceWhen(java.util.function.BooleanSupplier enabled) {
        this.balancing = enabled;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        Attempts attempts = Attempts.of(exchange);
        balanced(exchange, attempts);
        UpstreamCompletions.handOver(exchange);
    }

    private void balanced(Exchange exchange, Attempts attempts) throws Exception {
        String provider = exchange.getProperty(ExchangeKeys.PROVIDER, String.class);
        ModelSpec model = exchange.getProperty(ExchangeKeys.MODEL, ModelSpec.class);
        DeploymentBalancer balancer = exchange.getProperty(ExchangeKeys.PROVIDER_DECLARATION, ProviderDeclaration.class).balancer();
        // several deployments: each has a breaker of its own too, and an open one is passed over
        DeploymentBalancer.Deployment picked = balancing.getAsBoolean()
                ? balancer.pick(d -> d.name().isEmpty() || breakers.admits(provider + "/" + d.name())) : balancer.deployments().get(0);
        String deployment = picked.name().isEmpty() ? provider : provider + "/" + picked.name();
        exchange.setProperty(ExchangeKeys.DEPLOYMENT, deployment);
        CircuitBreaker own = picked.name().isEmpty() ? null : breakers.forDeployment(deployment);
        boolean counted = own != null && own.tryAcquirePermission();
        long started = System.nanoTime();
        balancer.started(picked);
        try {
            call(exchange, attempts, provider, model, deployment);
            if (counted) {
                own.onSuccess(System.nanoTime() - started, TimeUnit.NANOSECONDS);
            }
        } catch (ProviderRefusal refusal) {
            if (counted) {
                own.releasePermission();
            }
            throw refusal;
        } catch (Exception failure) {
            if (counted) {
                own.onError(System.nanoTime() - started, TimeUnit.NANOSECONDS, failure);
            }
            throw failure;
        } finally {
            // a stream is relayed after this step: it stays busy until the request ends
            if (exchange.getException() == null && exchange.getProperty(ExchangeKeys.OPENED_STREAM) != null) {
                exchange.getExchangeExtension().addOnCompletion(new org.apache.camel.support.SynchronizationAdapter() {
                    @Override
                    public void onDone(Exchange done) {
                        balancer.finished(picked);
                    }
                });
            } else {
                balancer.finished(picked);
            }
        }
    }

    private void call(Exchange exchange, Attempts attempts, String provider, ModelSpec model, String deployment) throws Exception {
        int networkFailures = 0;
        boolean waitedForRateLimit = false;
        while (true) {
            long started = System.nanoTime();
            exchange.setException(null);
            template.send(UPSTREAM_CALL, exchange);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            Throwable thrown = exchange.getException();
            if (thrown == null) {
                attempts.add(provider, model.id(), deployment, "ok", 200, ms);
                return;
            }
            exchange.setException(null);
            UpstreamFailure failure = UpstreamFailure.of(thrown, provider);
            attempts.add(provider, model.id(), deployment, failure.outcome(), failure.upstreamStatus(), ms);
            switch (failure.kind()) {
                case NETWORK -> {
                    if (networkFailures < networkRetries) {
                        Thread.sleep(backoff.apply(++networkFailures));
                        continue;
                    }
                }
                case RATE_LIMITED -> {
                    if (!waitedForRateLimit && failure.retryAfterMs() >= 0 && failure.retryAfterMs() <= maxRetryAfterMs) {
                        waitedForRateLimit = true;
                        Thread.sleep(failure.retryAfterMs());
                        continue;
                    }
                }
                case REFUSED -> throw new ProviderRefusal(failure.error());
                default -> { }
            }
            throw failure.error();
        }
    }
}
