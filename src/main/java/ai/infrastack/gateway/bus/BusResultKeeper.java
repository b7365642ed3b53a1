package ai.infrastack.gateway.bus;

import ai.infrastack.gateway.core.Cost;
import ai.infrastack.gateway.core.ExchangeKeys;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;

/**
 * After the chat pipeline answered an item (a completion or an error body): keeps the answer
 * under the item's message id before it is sent, so a redelivery is answered from here and never
 * run again, then makes it the outgoing message.
 */
public final class BusResultKeeper implements Processor {
    private final BusResultStore store;

    public BusResultKeeper(BusResultStore store) {
        this.store = store;
    }

    @Override
    public void process(Exchange exchange) throws SQLException {
        Integer status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        Cost cost = exchange.getProperty(ExchangeKeys.COST, Cost.class);
        byte[] body = exchange.getMessage().getBody(byte[].class);
        BusResult result = new BusResult(exchange.getProperty(ExchangeKeys.REQUEST_ID, String.class),
                status == null ? 200 : status,
                cost == null ? null : Cost.rendered(cost.totalCost()).toPlainString(),
                body == null ? "" : new String(body, StandardCharsets.UTF_8));
        String messageId = exchange.getProperty(BusExchange.MESSAGE_ID, String.class);
        if (!store.keep(messageId, result)) {
            // Another instance answered it first (its redelivery waited it out): the first answer stands.
            BusResultStore.Kept first = store.find(messageId).orElseThrow();
            result = first.result();
            exchange.setProperty(BusExchange.ALREADY_PRODUCED, first.produced());
        }
        result.writeTo(exchange);
    }
}
