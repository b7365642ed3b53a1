package ai.infrastack.gateway.metrics;

import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.ResponseHeaders;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/** {@code GET /metrics}: the Prometheus text format; a 404 when ENABLE_METRICS=false. */
public final class MetricsScraper implements Processor {
    private final GatewayMetrics metrics;
    private final boolean enabled;

    public MetricsScraper(GatewayMetrics metrics, boolean enabled) {
        this.metrics = metrics;
        this.enabled = enabled;
    }

    @Override
    public void process(Exchange exchange) {
        if (!enabled) {
            throw GatewayException.of(ErrorType.NOT_FOUND, "Metrics are disabled (ENABLE_METRICS=false)").code("metrics_disabled").build();
        }
        ResponseHeaders.reset(exchange, 200);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
        exchange.getMessage().setBody(metrics.scrape());
    }
}
