package ai.infrastack.gateway.provider;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultExchange;

/**
 * Provider step after the circuit breaker. The breaker runs the call on a copy of the exchange and
 * completes that copy when the call returns — which would close the upstream response that a
 * stream is about to relay. So the call's completion work (closing that response) is handed over
 * to the request's own exchange, to run when the whole request ends, as it did without a breaker.
 */
public final class UpstreamCompletions implements Processor {
    private static final String HANDED_OVER = "gatewayUpstreamCompletions";

    /** Takes the completion work off the breaker's copy; it travels back with the copy's result. */
    static void handOver(Exchange attempt) {
        // held by an exchange of its own (without a unit of work) until the request's exchange takes it
        Exchange holder = new DefaultExchange(attempt.getContext());
        if (attempt.getUnitOfWork() != null) {
            attempt.getUnitOfWork().handoverSynchronization(holder);
        }
        attempt.getExchangeExtension().handoverCompletions(holder);
        attempt.setProperty(HANDED_OVER, holder);
    }

    @Override
    public void process(Exchange exchange) {
        Exchange holder = (Exchange) exchange.removeProperty(HANDED_OVER);
        if (holder != null) {
            holder.getExchangeExtension().handoverCompletions(exchange);
        }
    }
}
