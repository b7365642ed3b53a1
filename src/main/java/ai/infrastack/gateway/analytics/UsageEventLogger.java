package ai.infrastack.gateway.analytics;

import ai.infrastack.gateway.api.ExchangeKeys;
import ai.infrastack.gateway.api.GatewayException;
import ai.infrastack.gateway.api.Latency;
import ai.infrastack.gateway.auth.Caller;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.cost.Cost;
import ai.infrastack.gateway.provider.ChatResult;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The analytics wire-tap's sink for now: one structured line per request, with no prompt text and
 * no secrets (the key appears only as its non-secret id). The persistence issue writes these rows
 * to PostgreSQL instead.
 */
public final class UsageEventLogger implements Processor {
    private static final Logger LOG = LoggerFactory.getLogger("ai.infrastack.gateway.usage");

    @Override
    public void process(Exchange exchange) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        Caller caller = exchange.getProperty(ExchangeKeys.CALLER, Caller.class);
        ModelSpec model = exchange.getProperty(ExchangeKeys.MODEL, ModelSpec.class);
        ChatResult result = exchange.getProperty(ExchangeKeys.RESULT, ChatResult.class);
        Cost cost = exchange.getProperty(ExchangeKeys.COST, Cost.class);
        GatewayException error = exchange.getProperty(ExchangeKeys.ERROR, GatewayException.class);
        LOG.info("request_id={} key_id={} model={} provider={} status={} error_type={} prompt_tokens={} completion_tokens={} cached_tokens={} total_cost={} total_ms={}",
                exchange.getProperty(ExchangeKeys.REQUEST_ID),
                caller == null ? "-" : caller.keyId(),
                model == null ? "-" : model.id(),
                model == null ? "-" : model.provider(),
                error == null ? 200 : error.status(),
                error == null ? "-" : error.type().wireName(),
                result == null ? 0 : result.usage().promptTokens(),
                result == null ? 0 : result.usage().completionTokens(),
                result == null ? 0 : result.usage().cacheRead(),
                cost == null ? "-" : cost.totalCost().toPlainString(),
                Latency.of(exchange).totalMs());
    }
}
