package ai.infrastack.gateway.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission control: how many calls may be in flight at once, in all and per API key. A call
 * above either ceiling is refused at once with 503 {@code gateway_overloaded} — nothing queues —
 * and counted in {@code unified_overloaded_total} by the limit it hit. 0 means no ceiling.
 */
public final class InFlightLimits {
    private final int global;
    private final int perKey;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ConcurrentHashMap<String, AtomicInteger> byKey = new ConcurrentHashMap<>();
    private final Counter globalRefusals;
    private final Counter keyRefusals;
    private final Counter poolRefusals;

    public InFlightLimits(int global, int perKey, MeterRegistry registry) {
        this.global = global;
        this.perKey = perKey;
        Gauge.builder("unified_in_flight_requests", inFlight, AtomicInteger::get)
                .description("Calls being served right now (health and metrics excluded)").register(registry);
        globalRefusals = refusals(registry, "global");
        keyRefusals = refusals(registry, "key");
        poolRefusals = refusals(registry, "upstream_pool");
    }

    private static Counter refusals(MeterRegistry registry, String limit) {
        return Counter.builder("unified_overloaded").description("Calls refused with 503 gateway_overloaded, by the limit hit")
                .tag("limit", limit).register(registry);
    }

    /** Takes a place under the global ceiling, or returns false (and counts the refusal). */
    boolean enter() {
        int now = inFlight.incrementAndGet();
        if (global > 0 && now > global) {
            inFlight.decrementAndGet();
            globalRefusals.increment();
            return false;
        }
        return true;
    }

    void exit() {
        inFlight.decrementAndGet();
    }

    /** Takes a place under the key's ceiling, or returns false (and counts the refusal). */
    boolean enterKey(String keyId) {
        if (perKey <= 0) {
            return true;
        }
        AtomicInteger count = byKey.computeIfAbsent(keyId, k -> new AtomicInteger());
        if (count.incrementAndGet() > perKey) {
            count.decrementAndGet();
            keyRefusals.increment();
            return false;
        }
        return true;
    }

    void exitKey(String keyId) {
        if (perKey <= 0) {
            return;
        }
        // Entries stay: one small counter per key that ever called, and no race on removal.
        AtomicInteger count = byKey.get(keyId);
        if (count != null) {
            count.decrementAndGet();
        }
    }

    /** A call that waited too long for an upstream connection. */
    void upstreamPoolExhausted() {
        poolRefusals.increment();
    }

    public int inFlight() {
        return inFlight.get();
    }
}
