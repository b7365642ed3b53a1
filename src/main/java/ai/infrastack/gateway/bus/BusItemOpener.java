package ai.infrastack.gateway.bus;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Starts one item (the split's body): its custom_id, and its message id for the idempotent
 * consumer — key id + custom_id, so two keys may use the same custom_id.
 */
public final class BusItemOpener implements Processor {
    @Override
    public void process(Exchange exchange) {
        BusItem item = exchange.getMessage().getBody(BusItem.class);
        exchange.setProperty(BusExchange.ITEM, item);
        exchange.setProperty(BusExchange.CUSTOM_ID, item.customId());
        exchange.setProperty(BusExchange.MESSAGE_ID, exchange.getProperty(BusExchange.KEY_ID, String.class) + ":" + item.customId());
    }
}
