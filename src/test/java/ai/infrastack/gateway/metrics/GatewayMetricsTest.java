package ai.infrastack.gateway.metrics;

import ai.infrastack.gateway.analytics.RequestRecord;
import ai.infrastack.gateway.support.PrometheusText;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GatewayMetricsTest {
    private static RequestRecord record(String model, String provider, int status, String errorType, long prompt,
                                        long completion, String cost) {
        return new RequestRecord("req", Instant.now(), "key", null, null, null, model, model, provider, status, errorType,
                prompt, completion, 0, null, null, cost == null ? null : new BigDecimal(cost), 12, 5L, false, false, null, false, null);
    }

    @Test
    void requestsOfTheSameModelAddUpInOneSeriesPerStatus() {
        GatewayMetrics metrics = new GatewayMetrics();
        metrics.record(record("gpt-4o", "openai", 200, null, 10, 5, "0.001"));
        metrics.record(record("gpt-4o", "openai", 200, null, 20, 7, "0.002"));
        metrics.record(record("gpt-4o", "openai", 502, "provider_error", 0, 0, null));
        metrics.record(record("claude-3-haiku", "anthropic", 200, null, 3, 4, "0.0005"));

        PrometheusText scrape = PrometheusText.parse(metrics.scrape());
        assertEquals(2.0, scrape.sum("unified_requests_total", "status", "200", "model", "gpt-4o"));
        assertEquals(1.0, scrape.sum("unified_requests_total", "status", "502", "model", "gpt-4o"));
        assertEquals(30.0, scrape.sum("unified_tokens_total", "type", "prompt", "model", "gpt-4o"));
        assertEquals(12.0, scrape.sum("unified_tokens_total", "type", "completion", "model", "gpt-4o"));
        assertEquals(0.003, scrape.sum("unified_cost_total", "model", "gpt-4o"), 1e-12);
        assertEquals(3.0, scrape.sum("unified_request_duration_seconds_count", "model", "gpt-4o"));
        assertEquals(1.0, scrape.sum("unified_errors_total", "type", "provider_error", "provider", "openai"));
        assertEquals(1.0, scrape.sum("unified_requests_total", "model", "claude-3-haiku"));
        assertEquals(0.0, scrape.sum("unified_cache_hits_total", "model", "gpt-4o"));
    }
}
