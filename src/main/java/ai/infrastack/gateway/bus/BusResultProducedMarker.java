package ai.infrastack.gateway.bus;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.sql.SQLException;

/** After the bus took the result: a later redelivery of the message is acknowledged without a second result. */
public final class BusResultProducedMarker implements Processor {
    private final BusResultStore store;

    public BusResultProducedMarker(BusResultStore store) {
        this.store = store;
    }

    @Override
    public void process(Exchange exchange) throws SQLException {
        store.markProduced(exchange.getProperty(BusExchange.MESSAGE_ID, String.class));
    }
}
