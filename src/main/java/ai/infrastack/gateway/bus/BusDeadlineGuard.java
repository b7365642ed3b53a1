package ai.infrastack.gateway.bus;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.time.Instant;

/** Drops an item whose message's deadline has passed: an answer after it would be useless to the sender. */
public final class BusDeadlineGuard implements Processor {
    @Override
    public void process(Exchange exchange) {
        Instant deadline = exchange.getProperty(BusExchange.DEADLINE, Instant.class);
        if (deadline != null && !Instant.now().isBefore(deadline)) {
            throw new BusRejection("deadline_exceeded", "the message's deadline " + deadline + " has passed");
        }
    }
}
