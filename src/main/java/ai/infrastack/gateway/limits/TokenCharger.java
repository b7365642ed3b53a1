package ai.infrastack.gateway.limits;

import ai.infrastack.gateway.core.Completion;
import ai.infrastack.gateway.core.ExchangeKeys;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

import java.time.Clock;

/**
 * Pipeline step after the answer (for a stream, after it ended): charges the key's token window
 * with what the request really used, in place of its estimate. A unary answer's headers then show
 * the window after the charge; a stream's were sent when it started.
 */
public final class TokenCharger implements Processor {
    private final WindowStore store;
    private final WindowGeometry geometry;
    private final Clock clock;

    public TokenCharger(WindowStore store, WindowGeometry geometry, Clock clock) {
        this.store = store;
        this.geometry = geometry;
        this.clock = clock;
    }

    @Override
    public void process(Exchange exchange) {
        TokenReservation reservation = exchange.getProperty(ExchangeKeys.RATE_LIMIT_RESERVATION, TokenReservation.class);
        if (reservation == null || !reservation.claim()) {
            return;
        }
        Completion completion = exchange.getProperty(ExchangeKeys.COMPLETION, Completion.class);
        long used = completion == null ? 0 : completion.usage().totalTokens();
        long now = clock.millis();
        WindowCounts counts = store.settle(reservation.key(), reservation.bucket(), reservation.tokens(), used, now);
        if (completion != null && !completion.streamed()) {
            new LimitReport(reservation.limits(), counts, geometry, now).addTo(exchange);
        }
    }
}
