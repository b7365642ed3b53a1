package ai.infrastack.gateway.bus;

import ai.infrastack.gateway.core.ErrorType;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.util.Optional;

/**
 * For a message the idempotent consumer has seen before: never runs it again. Another instance (or
 * consumer thread) may still be running it — a partition moved in a rebalance, the same custom_id
 * sent twice — so this waits a while for its answer to be sent; a sent answer is not sent twice.
 * After the wait, an answer kept but not sent is sent now; with none kept the earlier attempt is
 * taken to have died with its instance, and the
 * item is answered with a server_error {@code request_interrupted} rather than called (and
 * possibly charged) a second time.
 */
public final class BusRedeliveryResolver implements Processor {
    private static final Logger LOG = LoggerFactory.getLogger(BusRedeliveryResolver.class);
    private static final long POLL_MS = 100;
    private final BusResultStore store;
    private final long waitMs;

    public BusRedeliveryResolver(BusResultStore store, long waitMs) {
        this.store = store;
        this.waitMs = waitMs;
    }

    @Override
    public void process(Exchange exchange) throws SQLException, InterruptedException {
        String messageId = exchange.getProperty(BusExchange.MESSAGE_ID, String.class);
        long deadline = System.nanoTime() + waitMs * 1_000_000L;
        Optional<BusResultStore.Kept> kept = store.find(messageId);
        // Until its answer was sent: one kept but not yet sent may be on its way out from the instance running it.
        while ((kept.isEmpty() || !kept.get().produced()) && System.nanoTime() < deadline) {
            Thread.sleep(POLL_MS);
            kept = store.find(messageId);
        }
        if (kept.isPresent()) {
            kept.get().result().writeTo(exchange);
            exchange.setProperty(BusExchange.ALREADY_PRODUCED, kept.get().produced());
            return;
        }
        LOG.warn("Bus message {} was taken on by an attempt that left no answer: answering request_interrupted, not calling again",
                exchange.getProperty(BusExchange.CUSTOM_ID));
        BusResult interrupted = new BusResult(null, 500, null, "{\"error\":{\"message\":\"The gateway stopped while this request"
                + " was in flight. It is not run again, so it cannot be charged twice; send it again with a new custom_id.\","
                + "\"type\":\"" + ErrorType.SERVER.wireName() + "\",\"param\":null,\"code\":\"request_interrupted\"}}");
        if (!store.keep(messageId, interrupted)) {
            kept = store.find(messageId);
            interrupted = kept.orElseThrow().result();
            exchange.setProperty(BusExchange.ALREADY_PRODUCED, kept.get().produced());
        }
        interrupted.writeTo(exchange);
    }
}
