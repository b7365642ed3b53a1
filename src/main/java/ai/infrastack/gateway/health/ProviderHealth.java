package ai.infrastack.gateway.health;

import java.util.Optional;
import java.util.function.Function;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the gateway has seen of each provider lately: a smoothed latency, the error rate of its last
 * {@value #WINDOW} attempts (retries and failovers included, unary and streamed alike) and the time
 * of the last failure; and, from its circuit breaker, whether calls reach it at all. A provider is
 * down while its breaker is open, degraded while it is half-open or for a minute after a failure,
 * healthy otherwise (unknown before any call).
 */
public final class ProviderHealth {
    private static final long DEGRADED_FOR_NANOS = 60_000_000_000L;

    static final int WINDOW = 20;

    private static final class Stats {
        volatile double latencyMs = -1;
        volatile long lastFailureNanos;
        volatile boolean failed;
        private final boolean[] outcomes = new boolean[WINDOW];
        private int count;
        private int next;

        synchronized void outcome(boolean ok) {
            outcomes[next] = ok;
            next = (next + 1) % WINDOW;
            count = Math.min(count + 1, WINDOW);
        }

        synchronized double errorRate() {
            int failures = 0;
            for (int i = 0; i < count; i++) {
                failures += outcomes[i] ? 0 : 1;
            }
            return count == 0 ? 0 : (double) failures / count;
        }
    }

    private final Function<String, Optional<String>> breakerState;

    /** @param breakerState a provider's circuit-breaker state (CLOSED, OPEN, HALF_OPEN, ...), if it has one */
    public ProviderHealth(Function<String, Optional<String>> breakerState) {
        this.breakerState = breakerState;
    }

    private final Map<String, Stats> stats = new ConcurrentHashMap<>();

    public void recordSuccess(String provider, double latencyMs) {
        Stats s = stats.computeIfAbsent(provider, p -> new Stats());
        // Exponentially weighted, so one slow call does not flip the report.
        s.latencyMs = s.latencyMs < 0 ? latencyMs : s.latencyMs * 0.8 + latencyMs * 0.2;
    }

    /** One upstream attempt's outcome, for the error rate. */
    public void recordAttempt(String provider, boolean ok) {
        stats.computeIfAbsent(provider, p -> new Stats()).outcome(ok);
    }

    public void recordFailure(String provider) {
        Stats s = stats.computeIfAbsent(provider, p -> new Stats());
        s.lastFailureNanos = System.nanoTime();
        s.failed = true;
    }

    /** provider → {status, latency_ms, error_rate}; status is healthy, degraded, down or unknown (never called). */
    public Map<String, Object[]> snapshot(Iterable<String> providers) {
        Map<String, Object[]> out = new TreeMap<>();
        long now = System.nanoTime();
        for (String p : providers) {
            Stats s = stats.get(p);
            String breaker = breakerState.apply(p).orElse("CLOSED");
            if (breaker.equals("OPEN") || breaker.equals("FORCED_OPEN")) {
                out.put(p, new Object[] {"down", s == null || s.latencyMs < 0 ? null : Math.round(s.latencyMs), s == null ? 1.0 : s.errorRate()});
                continue;
            }
            if (s == null) {
                out.put(p, new Object[] {"unknown", null, null});
                continue;
            }
            boolean degraded = breaker.equals("HALF_OPEN") || s.failed && now - s.lastFailureNanos < DEGRADED_FOR_NANOS;
            out.put(p, new Object[] {degraded ? "degraded" : "healthy", s.latencyMs < 0 ? null : Math.round(s.latencyMs), s.errorRate()});
        }
        return out;
    }
}
