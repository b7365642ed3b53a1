package ai.infrastack.gateway.bus;

import ai.infrastack.gateway.api.RequestIdAssigner;
import ai.infrastack.gateway.recovery.ChargedCall;
import ai.infrastack.gateway.recovery.ChargedCallLookup;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.util.Optional;

/**
 * For an item the idempotent consumer has seen before. Another instance (or consumer thread) may still be
 * running it — a partition moved in a rebalance, the same custom_id sent twice — so this first waits up to
 * {@code gateway.bus.redelivery-wait-ms} for its answer to be sent; a sent answer is not sent twice, and one
 * kept but not sent is sent now. An item still without an answer after the wait was taken on by an attempt
 * that died with its instance: this takes it over (one redelivery wins) and looks the attempt's request id up
 * ({@link ChargedCallLookup}). Answered and charged: the answer died with the instance, so the item is
 * answered {@code answer_lost} with the charged cost, never called or charged a second time. Ended in an
 * error: that call is over, and the item runs as a new call. No trace: the item runs again under the same
 * request id ({@link BusExchange#RUN}), so its one request-log row and its one charge carry that id.
 *
 * <p>The wait must outlast the longest call (upstream timeout, retries and failover): an item taken over
 * while its first attempt is in fact still running would be sent twice.
 */
public final class BusRedeliveryResolver implements Processor {
    private static final Logger LOG = LoggerFactory.getLogger(BusRedeliveryResolver.class);
    private static final long POLL_MS = 100;
    private final BusResultStore store;
    private final ChargedCallLookup calls;
    private final long waitMs;

    public BusRedeliveryResolver(BusResultStore store, ChargedCallLookup calls, long waitMs) {
        this.store = store;
        this.calls = calls;
        this.waitMs = waitMs;
    }

    @Override
    public void process(Exchange exchange) throws SQLException, InterruptedException {
        String messageId = exchange.getProperty(BusExchange.MESSAGE_ID, String.class);
        while (true) {
            Optional<BusResultStore.Kept> kept = awaitProduced(messageId);
            if (kept.isPresent() && kept.get().answered()) {
                kept.get().result().writeTo(exchange);
                exchange.setProperty(BusExchange.ALREADY_PRODUCED, kept.get().produced());
                return;
            }
            if (kept.isEmpty()) {
                // Taken by the idempotent consumer, but the instance died before its row was written: no call was made.
                String requestId = RequestIdAssigner.newId();
                if (store.take(messageId, requestId)) {
                    run(exchange, requestId);
                    return;
                }
                continue;
            }
            if (store.takeOver(messageId, kept.get(), kept.get().requestId())) {
                resume(exchange, messageId, kept.get());
                return;
            }
            // Another redelivery took it over in the same instant: wait for its answer.
        }
    }

    /** The item's row once its answer was sent, or as it is when the wait runs out. */
    private Optional<BusResultStore.Kept> awaitProduced(String messageId) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + waitMs * 1_000_000L;
        Optional<BusResultStore.Kept> kept = store.find(messageId);
        while ((kept.isEmpty() || !kept.get().produced()) && System.nanoTime() < deadline) {
            Thread.sleep(POLL_MS);
            kept = store.find(messageId);
        }
        return kept;
    }

    /** Taken over from a dead attempt: its call is looked up before anything is sent. */
    private void resume(Exchange exchange, String messageId, BusResultStore.Kept dead) throws SQLException, InterruptedException {
        String requestId = dead.requestId();
        while (!calls.decidable()) {
            Thread.sleep(POLL_MS); // this instance's journal (after a restart: the previous run's) is not in the database yet
        }
        Optional<ChargedCall> earlier = calls.find(requestId);
        if (earlier.isPresent() && earlier.get().succeeded()) {
            LOG.warn("Bus message {}: request {} was answered and charged by an attempt that died before keeping the answer;"
                    + " answering answer_lost, not calling again", exchange.getProperty(BusExchange.CUSTOM_ID), requestId);
            ChargedCall lost = earlier.get();
            BusResult result = new BusResult(requestId, ChargedCall.LOST_ANSWER_STATUS,
                    lost.cost() == null ? null : lost.cost().stripTrailingZeros().toPlainString(), lost.lostAnswerBody());
            if (!store.keep(messageId, result)) {
                BusResultStore.Kept first = store.find(messageId).orElseThrow();
                result = first.result();
                exchange.setProperty(BusExchange.ALREADY_PRODUCED, first.produced());
            }
            result.writeTo(exchange);
            return;
        }
        if (earlier.isPresent()) {
            // That call ended in an error, logged under its id: this is a new call, under a new id.
            String fresh = RequestIdAssigner.newId();
            BusResultStore.Kept now = store.find(messageId).orElseThrow();
            if (!store.takeOver(messageId, now, fresh)) {
                throw new IllegalStateException("bus message " + messageId + " taken over twice");
            }
            requestId = fresh;
        }
        LOG.info("Bus message {}: its earlier attempt died mid-call; running it again as request {}",
                exchange.getProperty(BusExchange.CUSTOM_ID), requestId);
        run(exchange, requestId);
    }

    private static void run(Exchange exchange, String requestId) {
        exchange.setProperty(BusExchange.REQUEST_ID, requestId);
        exchange.setProperty(BusExchange.RUN, true);
    }
}
