package ai.infrastack.gateway.budget;

import org.apache.camel.Exchange;
import org.apache.camel.spi.Synchronization;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;

/**
 * Runs when the request is done, whatever happened: a reservation the settle step never took (an
 * error before or from the provider, a failure anywhere after the guard) is given back at once
 * rather than held until it expires.
 */
final class UnsettledRelease implements Synchronization {
    private static final Logger LOG = LoggerFactory.getLogger(UnsettledRelease.class);

    private final BudgetLedger ledger;
    private final String property;

    UnsettledRelease(BudgetLedger ledger, String property) {
        this.ledger = ledger;
        this.property = property;
    }

    @Override
    public void onComplete(Exchange exchange) {
        release(exchange);
    }

    @Override
    public void onFailure(Exchange exchange) {
        release(exchange);
    }

    private void release(Exchange exchange) {
        BudgetLedger.Reservation r = exchange.getProperty(property, BudgetLedger.Reservation.class);
        if (r == null) {
            return;
        }
        exchange.removeProperty(property);
        try {
            ledger.release(r);
        } catch (SQLException e) {
            LOG.warn("Reservation {} not released ({}); it is given back when it expires", r.id(), e.toString());
        }
    }
}
