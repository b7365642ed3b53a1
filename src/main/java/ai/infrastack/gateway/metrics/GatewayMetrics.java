package ai.infrastack.gateway.metrics;

import ai.infrastack.gateway.analytics.RequestRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.function.Supplier;

/**
 * The spec's Prometheus metrics — unified_requests_total, unified_request_duration_seconds,
 * unified_tokens_total, unified_cost_total, unified_errors_total, unified_cache_hits_total —
 * labelled by model and provider (errors by type and provider), plus JVM metrics. Labels come from
 * the catalog, never from what a client typed, so their number stays bounded.
 */
public final class GatewayMetrics {
    private static final String NONE = "none";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final java.util.List<Supplier<Number>> sources = new java.util.concurrent.CopyOnWriteArrayList<>();

    public GatewayMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Counts a value that another component keeps, e.g. request-log rows lost. */
    public void gaugeCounter(String name, String description, Supplier<Number> value) {
        // Micrometer holds the source weakly: without this reference a method reference passed in
        // would be collected and the counter would read NaN from the next GC on.
        sources.add(value);
        FunctionCounter.builder(name, value, v -> v.get().doubleValue()).description(description).register(registry);
    }

    public void record(RequestRecord r) {
        String model = r.servedModel() == null ? NONE : r.servedModel();
        String provider = r.provider() == null ? NONE : r.provider();
        Counter.builder("unified_requests").description("Requests by model and provider")
                .tag("model", model).tag("provider", provider).tag("status", String.valueOf(r.status()))
                .register(registry).increment();
        Timer.builder("unified_request_duration").description("Request latency through the gateway")
                .tag("model", model).tag("provider", provider)
                .publishPercentileHistogram()
                .register(registry).record(Duration.ofMillis(r.latencyMs()));
        if (r.promptTokens() > 0) {
            tokens(model, provider, "prompt").increment(r.promptTokens());
        }
        if (r.completionTokens() > 0) {
            tokens(model, provider, "completion").increment(r.completionTokens());
        }
        if (r.totalCost() != null) {
            Counter.builder("unified_cost").description("Cost in USD by model and provider")
                    .tag("model", model).tag("provider", provider)
                    .register(registry).increment(r.totalCost().doubleValue());
        }
        if (r.errorType() != null) {
            Counter.builder("unified_errors").description("Errors by type and provider")
                    .tag("type", r.errorType()).tag("provider", provider)
                    .register(registry).increment();
        }
        Counter cacheHits = Counter.builder("unified_cache_hits").description("Responses served from the gateway cache")
                .tag("model", model).tag("provider", provider).register(registry);
        if (r.cacheHit()) {
            cacheHits.increment();
        }
    }

    private Counter tokens(String model, String provider, String type) {
        return Counter.builder("unified_tokens").description("Tokens by model, provider and type")
                .tag("model", model).tag("provider", provider).tag("type", type).register(registry);
    }

    public String scrape() {
        return registry.scrape();
    }
}
