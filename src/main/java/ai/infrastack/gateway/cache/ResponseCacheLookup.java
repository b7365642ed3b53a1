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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

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
    private final SharedFlightLock sharedLock;
    private final long flightWaitMs;

    /** {@code sharedLock}: single flight across instances (Redis), or null for in process only. */
    ResponseCacheLookup(CachePolicy policy, CacheKeys keys, AnswerStore store, SingleFlight flights,
                        SharedFlightLock sharedLock, long flightWaitMs) {
        this.policy = policy;
        this.keys = keys;
        this.store = store;
        this.flights = flights;
        this.sharedLock = sharedLock;
        this.flightWaitMs = flightWaitMs;
    }

    /**
     * A miss to be stored once answered, and how its flight lands (idempotent): the waiting requests go
     * on, the shared lock is released. Called by the store step, and in any case when the exchange ends.
     */
    record PendingEntry(String key, Runnable land) {}

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
        Runnable land = () -> { };
        if (hit.isEmpty()) {
            SingleFlight.Seat seat = flights.join(key);
            if (!seat.leader()) {
                flights.awaitLeader(seat, flightWaitMs);
                // An answer, or the leader failed or took too long: then this request calls upstream on its own.
                hit = find(key, stream);
            } else {
                LeadingFlight flight = new LeadingFlight(key, seat);
                land = flight::land;
                // The flight before this one may have stored its answer and landed since the first look.
                hit = find(key, stream);
                if (hit.isPresent()) {
                    flight.land();
                } else if (sharedLock != null) {
                    hit = leadAcrossInstances(flight, stream);
                }
            }
        }
        if (hit.isPresent()) {
            answer(exchange, hit.get(), stream, model);
            return;
        }
        Runnable landing = land;
        // However the exchange ends (answered, failed, client gone), the flight lands with it.
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                landing.run();
            }
        });
        exchange.setProperty(PENDING, new PendingEntry(key, landing));
        exchange.setProperty(ExchangeKeys.KEEP_STREAMED_ANSWER, true);
    }

    /**
     * Leading here: lead across instances too, or wait for the instance that leads. Its answer lands this
     * instance's flight at once, so the requests waiting here read it as well.
     */
    private Optional<CachedAnswer> leadAcrossInstances(LeadingFlight flight, boolean stream) {
        Optional<String> token = sharedLock.tryLead(flight.key);
        if (token.isPresent()) {
            flight.sharedToken = token.get();
            return Optional.empty();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(flightWaitMs);
        Optional<CachedAnswer> answer = flights.waitingFor(() -> sharedLock.awaitAnswer(flight.key, store, deadline))
                .filter(a -> !stream || a.streamable());
        if (answer.isPresent()) {
            flight.land();
        }
        return answer;
    }

    /** A flight this request leads: landing it (once) releases the shared lock and lets its followers go on. */
    private final class LeadingFlight {
        private final String key;
        private final SingleFlight.Seat seat;
        private final AtomicBoolean landed = new AtomicBoolean();
        private volatile String sharedToken;

        LeadingFlight(String key, SingleFlight.Seat seat) {
            this.key = key;
            this.seat = seat;
        }

        void land() {
            if (landed.compareAndSet(false, true)) {
                if (sharedToken != null) {
                    sharedLock.release(key, sharedToken);
                }
                flights.land(seat);
            }
        }
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
