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

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
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
    private final ConcurrentMap<String, ConcurrentMap<String, ModelMeters>> byModel = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, ConcurrentMap<String, Counter>> errors = new ConcurrentHashMap<>();

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

    /**
     * Counts one finished request. The meters of a (model, provider) pair are looked up once and
     * kept: registering through a builder on every request built tags, ids and builders each time.
     */
    public void record(RequestRecord r) {
        String model = r.servedModel() == null ? NONE : r.servedModel();
        String provider = r.provider() == null ? NONE : r.provider();
        ModelMeters m = byModel.computeIfAbsent(model, k -> new ConcurrentHashMap<>()).get(provider);
        if (m == null) {
            m = byModel.get(model).computeIfAbsent(provider, p -> new ModelMeters(model, p));
        }
        m.requests(r.status()).increment();
        m.duration.record(r.latencyMs(), TimeUnit.MILLISECONDS);
        if (r.promptTokens() > 0) {
            m.promptTokens().increment(r.promptTokens());
        }
        if (r.completionTokens() > 0) {
            m.completionTokens().increment(r.completionTokens());
        }
        if (r.totalCost() != null) {
            m.cost().increment(r.totalCost().doubleValue());
        }
        if (r.errorType() != null) {
            errors.computeIfAbsent(r.errorType(), k -> new ConcurrentHashMap<>())
                    .computeIfAbsent(provider, p -> Counter.builder("unified_errors").description("Errors by type and provider")
                            .tag("type", r.errorType()).tag("provider", p).register(registry))
                    .increment();
        }
        if (r.cacheHit()) {
            m.cacheHits.increment();
        }
    }

    /** The meters of one (model, provider) pair; series that need a value to exist appear on first use. */
    private final class ModelMeters {
        private final String model;
        private final String provider;
        private final Timer duration;
        private final Counter cacheHits;
        private final AtomicReferenceArray<Counter> requestsByStatus = new AtomicReferenceArray<>(600);
        private volatile Counter promptTokens;
        private volatile Counter completionTokens;
        private volatile Counter cost;

        ModelMeters(String model, String provider) {
            this.model = model;
            this.provider = provider;
            this.duration = Timer.builder("unified_request_duration").description("Request latency through the gateway")
                    .tag("model", model).tag("provider", provider)
                    .publishPercentileHistogram()
                    .register(registry);
            this.cacheHits = Counter.builder("unified_cache_hits").description("Responses served from the gateway cache")
                    .tag("model", model).tag("provider", provider).register(registry);
        }

        // Registering is idempotent (the registry returns the existing meter), so a race only repeats a lookup.
        Counter requests(int status) {
            int i = status >= 0 && status < 600 ? status : 0;
            Counter c = requestsByStatus.get(i);
            if (c == null) {
                c = Counter.builder("unified_requests").description("Requests by model and provider")
                        .tag("model", model).tag("provider", provider).tag("status", String.valueOf(status))
                        .register(registry);
                requestsByStatus.set(i, c);
            }
            return c;
        }

        Counter promptTokens() {
            Counter c = promptTokens;
            return c != null ? c : (promptTokens = tokens(model, provider, "prompt"));
        }

        Counter completionTokens() {
            Counter c = completionTokens;
            return c != null ? c : (completionTokens = tokens(model, provider, "completion"));
        }

        Counter cost() {
            Counter c = cost;
            return c != null ? c : (cost = Counter.builder("unified_cost").description("Cost in USD by model and provider")
                    .tag("model", model).tag("provider", provider).register(registry));
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
