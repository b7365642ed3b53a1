package ai.infrastack.gateway.cache;

import ai.infrastack.gateway.auth.Caller;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.core.Completion;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.streaming.OpenedStream;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.SynchronizationAdapter;

import java.util.Optional;

/**
 * Pipeline step before the provider call (after the caller is checked and the model resolved): a
 * cacheable request ({@link CachePolicy}) already answered for the caller's project is answered from
 * the cache — unary, or replayed as a stream — and the provider call is skipped. On a miss the
 * request leads the key's single flight (or waits for the request that does, then reads its answer)
 * and is marked for {@link ResponseCacheStore}.
 */
public final class ResponseCacheLookup implements Processor {
    /** Exchange property: the {@link PendingEntry} a miss's answer is stored under. */
    static final String PENDING = "gatewayCachePending";

    private final CachePolicy policy;
    private final CacheKeys keys;
    private final AnswerStore store;
    private final SingleFlight flights;
    private final long flightWaitMs;

    ResponseCacheLookup(CachePolicy policy, CacheKeys keys, AnswerStore store, SingleFlight flights, long flightWaitMs) {
        this.policy = policy;
        this.keys = keys;
        this.store = store;
        this.flights = flights;
        this.flightWaitMs = flightWaitMs;
    }

    /** A miss to be stored once answered, and its seat in the key's flight (null when it leads none). */
    record PendingEntry(String key, SingleFlight.Seat seat) {}

    @Override
    public void process(Exchange exchange) {
        ObjectNode request = exchange.getProperty(ExchangeKeys.CHAT_REQUEST, ObjectNode.class);
        if (!policy.cacheable(request)) {
            return;
        }
        ModelSpec model = exchange.getProperty(ExchangeKeys.MODEL, ModelSpec.class);
        String key = keys.key(exchange.getProperty(ExchangeKeys.CALLER, Caller.class), model.id(), request);
        boolean stream = request.path("stream").asBoolean(false);
        Optional<CachedAnswer> hit = find(key, stream);
        SingleFlight.Seat seat = null;
        if (hit.isEmpty()) {
            seat = flights.join(key);
            if (!seat.leader()) {
                flights.awaitLeader(seat, flightWaitMs);
                hit = find(key, stream);
                // The leader failed or took too long: this request calls upstream on its own.
                seat = null;
            }
        }
        if (hit.isPresent()) {
            answer(exchange, hit.get(), stream, model);
            return;
        }
        if (seat != null) {
            SingleFlight.Seat leading = seat;
            // However the exchange ends (answered, failed, client gone), the flight lands with it.
            exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
                @Override
                public void onDone(Exchange done) {
                    flights.land(leading);
                }
            });
        }
        exchange.setProperty(PENDING, new PendingEntry(key, seat));
        exchange.setProperty(ExchangeKeys.KEEP_STREAMED_ANSWER, true);
    }

    private Optional<CachedAnswer> find(String key, boolean stream) {
        return store.find(key).filter(a -> !stream || a.streamable());
    }

    /** The hit becomes the exchange's answer, as the provider route would have left it. */
    private static void answer(Exchange exchange, CachedAnswer answer, boolean stream, ModelSpec model) {
        exchange.setProperty(ExchangeKeys.CACHE_HIT, true);
        if (stream) {
            exchange.setProperty(ExchangeKeys.STREAMING, true);
            exchange.setProperty(ExchangeKeys.OPENED_STREAM, OpenedStream.replay(answer.events()));
            return;
        }
        String requestId = exchange.getProperty(ExchangeKeys.REQUEST_ID, String.class);
        exchange.setProperty(ExchangeKeys.COMPLETION, Completion.unary("chatcmpl-" + requestId.substring(4),
                System.currentTimeMillis() / 1000, answer.choices(), answer.usage(),
                answer.upstreamModel() != null ? answer.upstreamModel() : model.upstream()));
    }
}
