package ai.infrastack.gateway.bus;

import ai.infrastack.gateway.core.ErrorType;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.util.Optional;

/**
 * For a message the idempotent consumer has seen before: never runs it again. A kept answer that
 * was already sent is not sent twice; one that was not is sent now. With no answer kept, another
 * instance may still be running it (the partition moved in a rebalance), so this waits for its
 * answer a while; after that the earlier attempt is taken to have died with the instance, and the
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
        while (kept.isEmpty() && System.nanoTime() < deadline) {
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
