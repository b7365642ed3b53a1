package ai.infrastack.gateway.bus;

import ai.infrastack.gateway.core.ExchangeKeys;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/**
 * Takes the chat pipeline's answer back into the bus item's exchange. The pipeline is called
 * through {@code enrich}, on a copy: an error it handled (rendered as the spec's error body) stops
 * the exchange it ran on, and the item must go on to be kept and sent either way.
 */
public final class BusChatAnswer implements AggregationStrategy {
    @Override
    public Exchange aggregate(Exchange item, Exchange answered) {
        item.getMessage().setBody(answered.getMessage().getBody());
        item.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, answered.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE));
        item.setProperty(ExchangeKeys.REQUEST_ID, answered.getProperty(ExchangeKeys.REQUEST_ID));
        item.setProperty(ExchangeKeys.COST, answered.getProperty(ExchangeKeys.COST));
        return item;
    }
}
