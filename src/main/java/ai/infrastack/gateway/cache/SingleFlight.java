package ai.infrastack.gateway.cache;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Concurrent identical misses make one upstream call: the first to miss a key leads (calls upstream
 * and stores the answer), the others wait for it and then read what it stored. In process, per
 * instance; a waiter holds only its virtual thread. A leader always lands its flight — stored, failed
 * or cancelled (the lookup ties landing to the end of the exchange) — and nobody waits past the bound.
 */
final class SingleFlight {
    private final ConcurrentMap<String, CountDownLatch> flights = new ConcurrentHashMap<>();
    private final AtomicInteger waiting = new AtomicInteger();

    /** One request's place in a key's flight: leading it, or following the one who does. */
    record Seat(String key, CountDownLatch latch, boolean leader) {}

    Seat join(String key) {
        CountDownLatch mine = new CountDownLatch(1);
        CountDownLatch theirs = flights.putIfAbsent(key, mine);
        return theirs == null ? new Seat(key, mine, true) : new Seat(key, theirs, false);
    }

    /** Waits for the leader to land, at most {@code timeoutMs}; false when it did not. */
    boolean awaitLeader(Seat seat, long timeoutMs) {
        return waitingFor(() -> {
            try {
                return seat.latch().await(timeoutMs, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        });
    }

    /** Runs a wait for someone else's answer (here or on another instance), counted in {@link #waiting()}. */
    <T> T waitingFor(Supplier<T> wait) {
        waiting.incrementAndGet();
        try {
            return wait.get();
        } finally {
            waiting.decrementAndGet();
        }
    }

    /** The leader is done with its key (idempotent): its followers go on, and the next miss leads anew. */
    void land(Seat seat) {
        if (seat.leader()) {
            flights.remove(seat.key(), seat.latch());
            seat.latch().countDown();
        }
    }

    /** Requests waiting for a leader right now (tests and diagnostics). */
    int waiting() {
        return waiting.get();
    }
}
