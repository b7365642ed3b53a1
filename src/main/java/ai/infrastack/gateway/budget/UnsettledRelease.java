package ai.infrastack.gateway.budget;

import org.apache.camel.Exchange;
import org.apache.camel.spi.Synchronization;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;

/**
 * Gives back a reservation the settle step never took: as the error handler's step
 * ({@code budgetRelease}, before the error is answered) and, as a backstop for a failure that escapes
 * the routes, when the exchange is done — then off the calling thread, which may be an event loop.
 */
public final class UnsettledRelease implements Synchronization, org.apache.camel.Processor {
    private static final Logger LOG = LoggerFactory.getLogger(UnsettledRelease.class);

    private final BudgetLedger ledger;
    private final String property;

    UnsettledRelease(BudgetLedger ledger, String property) {
        this.ledger = ledger;
        this.property = property;
    }

    @Override
    public void process(Exchange exchange) {
        BudgetLedger.Reservation r = take(exchange);
        if (r != null) {
            release(r);
        }
    }

    @Override
    public void onComplete(Exchange exchange) {
        releaseLater(exchange);
    }

    @Override
    public void onFailure(Exchange exchange) {
        releaseLater(exchange);
    }

    private void releaseLater(Exchange exchange) {
        BudgetLedger.Reservation r = take(exchange);
        if (r != null) {
            Thread.ofVirtual().name("budget-release").start(() -> release(r));
        }
    }

    private BudgetLedger.Reservation take(Exchange exchange) {
        BudgetLedger.Reservation r = exchange.getProperty(property, BudgetLedger.Reservation.class);
        exchange.removeProperty(property);
        return r;
    }

    private void release(BudgetLedger.Reservation r) {
        try {
            ledger.release(r);
        } catch (SQLException e) {
            LOG.warn("Reservation {} not released ({}); it is given back when it expires", r.id(), e.toString());
        }
    }
}
