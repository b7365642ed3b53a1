package ai.infrastack.gateway.bus;

import ai.infrastack.gateway.core.ExchangeKeys;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;

/**
 * Makes an item look to the chat pipeline exactly like an HTTP call: the JSON body and the key as
 * {@code Authorization: Bearer}, which the pipeline's authenticator reads and removes — and the request id
 * the item was taken on under, so a re-run after a crash is the same request.
 */
public final class BusChatRequestPreparer implements Processor {
    @Override
    public void process(Exchange exchange) {
        BusItem item = exchange.getProperty(BusExchange.ITEM, BusItem.class);
        Message m = exchange.getMessage();
        m.removeHeaders("*");
        m.setHeader("Authorization", "Bearer " + exchange.getProperty(BusExchange.API_KEY, String.class));
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        m.setBody(item.chatRequest());
        exchange.setProperty(ExchangeKeys.ASSIGNED_REQUEST_ID, exchange.getProperty(BusExchange.REQUEST_ID, String.class));
    }
}
