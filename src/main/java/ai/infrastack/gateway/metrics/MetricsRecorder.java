package ai.infrastack.gateway.metrics;

import ai.infrastack.gateway.analytics.RequestRecord;
import ai.infrastack.gateway.analytics.UsageRecorder;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/** Wire-tap step: counts a finished request in the Prometheus metrics. */
public final class MetricsRecorder implements Processor {
    private final GatewayMetrics metrics;

    public MetricsRecorder(GatewayMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void process(Exchange exchange) {
        RequestRecord record = exchange.getProperty(UsageRecorder.RECORD, RequestRecord.class);
        metrics.record(record != null ? record : UsageRecorder.record(exchange));
    }
}
