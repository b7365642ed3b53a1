package ai.infrastack.gateway.core;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;

/**
 * The latency breakdown of one call, in ms: total (gateway received → response ready), ttfb
 * (upstream request sent → first upstream byte), processing (total − ttfb) and network (upstream
 * round trip minus the processing time the upstream reports, where it reports one).
 */
public record Latency(long totalMs, long ttfbMs, long processingMs, long networkMs, long upstreamMs) {

    public static Latency of(Exchange exchange) {
        long now = System.nanoTime();
        long received = exchange.getProperty(ExchangeKeys.RECEIVED_NANOS, now, Long.class);
        long sent = exchange.getProperty(ExchangeKeys.UPSTREAM_SENT_NANOS, now, Long.class);
        long firstByte = exchange.getProperty(ExchangeKeys.UPSTREAM_FIRST_BYTE_NANOS, sent, Long.class);
        long done = exchange.getProperty(ExchangeKeys.UPSTREAM_DONE_NANOS, firstByte, Long.class);
        long upstreamProcessing = exchange.getProperty(ExchangeKeys.UPSTREAM_PROCESSING_MS, -1L, Long.class);
        long total = ms(now - received);
        long ttfb = ms(firstByte - sent);
        long upstream = ms(done - sent);
        long network = upstreamProcessing < 0 ? -1 : Math.max(0, upstream - upstreamProcessing);
        return new Latency(total, ttfb, Math.max(0, total - ttfb), network, upstream);
    }

    public ObjectNode toJson(ObjectMapper mapper) {
        ObjectNode n = mapper.createObjectNode();
        n.put("total_time_ms", totalMs);
        n.put("ttfb_ms", ttfbMs);
        n.put("processing_time_ms", processingMs);
        if (networkMs >= 0) {
            n.put("network_time_ms", networkMs);
        }
        return n;
    }

    private static long ms(long nanos) {
        return Math.round(nanos / 1_000_000.0);
    }
}
