package ai.infrastack.gateway.metrics;

import ai.infrastack.gateway.analytics.RequestLogWriter;
import ai.infrastack.gateway.analytics.UsageRecorder;
import ai.infrastack.gateway.bus.UsageEventPublisher;
import ai.infrastack.gateway.core.Settings;
import ai.infrastack.gateway.cost.CostCalculator;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.component.micrometer.routepolicy.MicrometerRoutePolicyConfiguration;
import org.apache.camel.component.micrometer.routepolicy.MicrometerRoutePolicyFactory;
import org.apache.camel.spi.Registry;

import static org.apache.camel.support.CamelContextHelper.mandatoryLookup;

/**
 * Binds the Prometheus registry, the step that counts each finished request and the scrape
 * endpoint's step; exposes the counters other capabilities keep (dropped log rows, unpriced answers).
 */
public final class MetricsConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        GatewayMetrics metrics = new GatewayMetrics();
        metrics.gaugeCounter("unified_request_log_dropped", "Request-log rows lost to a full buffer",
                mandatoryLookup(context, "requestLogWriter", RequestLogWriter.class)::dropped);
        metrics.gaugeCounter("unified_unauthenticated_requests", "Requests refused for a missing or unknown API key",
                mandatoryLookup(context, "usageRecorder", UsageRecorder.class)::unauthenticated);
        metrics.gaugeCounter("unified_unpriced_responses", "Responses with tokens but no catalog price",
                mandatoryLookup(context, "costCalculator", CostCalculator.class)::unpricedResponses);
        // Without KAFKA_BROKERS nothing is published, and nothing dropped.
        Object events = context.getRegistry().lookupByName("usageEventPublisher");
        metrics.gaugeCounter("unified_usage_events_dropped", "Usage events lost to a full buffer or an undeliverable send",
                events instanceof UsageEventPublisher p ? p::dropped : () -> 0);
        Registry r = context.getRegistry();
        r.bind("gatewayMetrics", metrics);
        // camel-micrometer's route metrics land in the same registry as ours.
        r.bind(MicrometerConstants.METRICS_REGISTRY_NAME, metrics.registry());
        context.addRoutePolicyFactory(routeMetrics(Settings.of(context).optional("gateway.metrics.route-metrics-exclude")));
        r.bind("metricsRecorder", new MetricsRecorder(metrics));
        r.bind("metricsScraper", new MetricsScraper(metrics, Settings.of(context).flag("gateway.metrics.enabled")));
    }

    /**
     * Camel's per-route timers and counters, less the excluded routes. The policy formats a property
     * name with String.format twice per route per exchange, on the request thread; a chat request
     * also passes through its provider route and upstream-call, whose time its own route's timer holds.
     */
    private static MicrometerRoutePolicyFactory routeMetrics(String excluded) {
        MicrometerRoutePolicyFactory factory = new MicrometerRoutePolicyFactory();
        if (excluded != null && !excluded.isBlank()) {
            MicrometerRoutePolicyConfiguration policy = new MicrometerRoutePolicyConfiguration();
            policy.setExcludePattern(excluded);
            factory.setPolicyConfiguration(policy);
        }
        return factory;
    }
}
