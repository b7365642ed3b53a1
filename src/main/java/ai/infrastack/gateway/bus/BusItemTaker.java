package ai.infrastack.gateway.bus;

import ai.infrastack.gateway.api.RequestIdAssigner;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.sql.SQLException;

/**
 * A message's item seen for the first time: taken on in bus_result under a new request id before its call,
 * so if this instance dies mid-call the redelivery knows which call to look for. Should a row exist already
 * (another consumer took it in the same instant), the item is treated as redelivered.
 */
public final class BusItemTaker implements Processor {
    private final BusResultStore store;
    private final BusRedeliveryResolver redelivery;

    public BusItemTaker(BusResultStore store, BusRedeliveryResolver redelivery) {
        this.store = store;
        this.redelivery = redelivery;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        String requestId = RequestIdAssigner.newId();
        if (store.take(exchange.getProperty(BusExchange.MESSAGE_ID, String.class), requestId)) {
            exchange.setProperty(BusExchange.REQUEST_ID, requestId);
            exchange.setProperty(BusExchange.RUN, true);
            return;
        }
        redelivery.process(exchange);
    }
}
