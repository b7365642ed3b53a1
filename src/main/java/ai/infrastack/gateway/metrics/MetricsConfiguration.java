package ai.infrastack.gateway.metrics;

import ai.infrastack.gateway.analytics.RequestLogWriter;
import ai.infrastack.gateway.core.Settings;
import ai.infrastack.gateway.cost.CostCalculator;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.micrometer.MicrometerConstants;
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
        metrics.gaugeCounter("unified_unpriced_responses", "Responses with tokens but no catalog price",
                mandatoryLookup(context, "costCalculator", CostCalculator.class)::unpricedResponses);
        Registry r = context.getRegistry();
        r.bind("gatewayMetrics", metrics);
        // camel-micrometer's route metrics land in the same registry as ours.
        r.bind(MicrometerConstants.METRICS_REGISTRY_NAME, metrics.registry());
        context.addRoutePolicyFactory(new MicrometerRoutePolicyFactory());
        r.bind("metricsRecorder", new MetricsRecorder(metrics));
        r.bind("metricsScraper", new MetricsScraper(metrics, Settings.of(context).flag("gateway.metrics.enabled")));
    }
}
