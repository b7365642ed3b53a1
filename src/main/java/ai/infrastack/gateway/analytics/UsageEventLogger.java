package ai.infrastack.gateway.analytics;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wire-tap step: the one-line structured access log of a finished request, from its request-log
 * row — so no prompt text and no secret (the key appears only as its id). ENABLE_LOGGING=false
 * turns it off.
 */
public final class UsageEventLogger implements Processor {
    private static final Logger LOG = LoggerFactory.getLogger("ai.infrastack.gateway.usage");
    private final boolean enabled;

    public UsageEventLogger(boolean enabled) {
        this.enabled = enabled;
    }

    @Override
    public void process(Exchange exchange) {
        if (!enabled || !LOG.isInfoEnabled()) {
            return;
        }
        RequestRecord r = exchange.getProperty(UsageRecorder.RECORD, RequestRecord.class);
        if (r == null) {
            r = UsageRecorder.record(exchange);
        }
        LOG.info("request_id={} key_id={} model={} provider={} status={} error_type={} prompt_tokens={} completion_tokens={}"
                        + " cached_tokens={} total_cost={} total_ms={} ttfb_ms={}",
                r.requestId(), dash(r.keyId()), dash(r.servedModel()), dash(r.provider()), r.status(), dash(r.errorType()),
                r.promptTokens(), r.completionTokens(), r.cachedTokens(),
                r.totalCost() == null ? "-" : r.totalCost().toPlainString(), r.latencyMs(), r.ttfbMs() == null ? "-" : r.ttfbMs());
    }

    private static String dash(String v) {
        return v == null ? "-" : v;
    }
}
