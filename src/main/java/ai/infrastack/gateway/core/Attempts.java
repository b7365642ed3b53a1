package ai.infrastack.gateway.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Every upstream attempt of one request, in order — retries, failovers and calls refused by an open
 * circuit breaker alike — so the request log can say what a failover cost. Shared by reference
 * between an exchange and the copies a circuit breaker works on, hence synchronized.
 */
public final class Attempts {
    /**
     * @param number   1 for the first attempt
     * @param outcome  ok, network_error, timeout, rate_limited, upstream_error, refused (a 4xx),
     *                 breaker_open, or stream_failed
     * @param status   the upstream's HTTP status, or 0 when none was received
     */
    public record Attempt(int number, String provider, String model, String deployment, String outcome, int status, long durationMs) {}

    private final List<Attempt> attempts = new ArrayList<>();

    public synchronized Attempt add(String provider, String model, String deployment, String outcome, int status, long durationMs) {
        Attempt a = new Attempt(attempts.size() + 1, provider, model, deployment, outcome, status, durationMs);
        attempts.add(a);
        return a;
    }

    public synchronized List<Attempt> all() {
        return List.copyOf(attempts);
    }

    public synchronized int size() {
        return attempts.size();
    }

    /** The attempts of this exchange, created on first use. */
    public static Attempts of(org.apache.camel.Exchange exchange) {
        Attempts a = exchange.getProperty(ExchangeKeys.ATTEMPTS, Attempts.class);
        if (a == null) {
            a = new Attempts();
            exchange.setProperty(ExchangeKeys.ATTEMPTS, a);
        }
        return a;
    }
}
