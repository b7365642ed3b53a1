package ai.infrastack.gateway.routing;

import ai.infrastack.gateway.catalog.ModelSpec;

import java.util.List;
import java.util.function.Predicate;

/**
 * Which model answers a request and what stands behind it: the candidates in order (the chosen
 * model, then {@code fallback_models}, then — for {@code model: "auto"} or a named strategy — the
 * strategy's ranking), the one in use, and why. Rendered as the spec's {@code routing} object.
 * Mutated only by the request's own failover step, one attempt at a time.
 */
public final class RoutingDecision {
    private final String strategy;
    private final List<ModelSpec> candidates;
    private volatile int current;
    private volatile String reason;
    private volatile boolean fallbackUsed;

    public RoutingDecision(String strategy, String reason, List<ModelSpec> candidates) {
        this.strategy = strategy;
        this.reason = reason;
        this.candidates = List.copyOf(candidates);
    }

    public ModelSpec selected() {
        return candidates.get(current);
    }

    public String strategy() {
        return strategy;
    }

    public String reason() {
        return reason;
    }

    public boolean fallbackUsed() {
        return fallbackUsed;
    }

    /** The ids of the candidates, in the order they would be tried. */
    public List<String> considered() {
        return candidates.stream().map(ModelSpec::id).toList();
    }

    /**
     * Moves to the next candidate that {@code admitted} (its breaker is not open), at most
     * {@code maxFallbacks} candidates past the first; null when there is none left.
     */
    synchronized ModelSpec failOver(Predicate<ModelSpec> admitted, int maxFallbacks, String why) {
        for (int i = current + 1; i < candidates.size() && i <= maxFallbacks; i++) {
            if (admitted.test(candidates.get(i))) {
                ModelSpec failed = candidates.get(current);
                current = i;
                fallbackUsed = true;
                reason = "fallback: " + failed.id() + " (" + failed.provider() + ") " + why;
                return candidates.get(i);
            }
        }
        return null;
    }
}
