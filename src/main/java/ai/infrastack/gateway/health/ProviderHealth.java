package ai.infrastack.gateway.health;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the gateway has seen of each provider lately: a smoothed latency and the time of the last
 * provider failure. Health reports a provider as degraded for a minute after a failure.
 */
public final class ProviderHealth {
    private static final long DEGRADED_FOR_NANOS = 60_000_000_000L;

    private static final class Stats {
        volatile double latencyMs = -1;
        volatile long lastFailureNanos;
        volatile boolean failed;
    }

    private final Map<String, Stats> stats = new ConcurrentHashMap<>();

    public void recordSuccess(String provider, double latencyMs) {
        Stats s = stats.computeIfAbsent(provider, p -> new Stats());
        // Exponentially weighted, so one slow call does not flip the report.
        s.latencyMs = s.latencyMs < 0 ? latencyMs : s.latencyMs * 0.8 + latencyMs * 0.2;
    }

    public void recordFailure(String provider) {
        Stats s = stats.computeIfAbsent(provider, p -> new Stats());
        s.lastFailureNanos = System.nanoTime();
        s.failed = true;
    }

    /** provider → {status, latency_ms}; status is healthy, degraded or unknown (never called). */
    public Map<String, Object[]> snapshot(Iterable<String> providers) {
        Map<String, Object[]> out = new TreeMap<>();
        long now = System.nanoTime();
        for (String p : providers) {
            Stats s = stats.get(p);
            if (s == null) {
                out.put(p, new Object[] {"unknown", null});
                continue;
            }
            boolean degraded = s.failed && now - s.lastFailureNanos < DEGRADED_FOR_NANOS;
            out.put(p, new Object[] {degraded ? "degraded" : "healthy", s.latencyMs < 0 ? null : Math.round(s.latencyMs)});
        }
        return out;
    }
}
