package ai.infrastack.gateway.provider;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Picks which deployment of a provider (keys, base URLs, regions declared in its route file)
 * takes the next call:
 * <ul>
 *   <li>{@code round-robin}: each in turn;</li>
 *   <li>{@code weighted}: smooth weighted round robin (as nginx does), so any run of calls is split
 *       as the weights say, not only on average;</li>
 *   <li>{@code least-busy}: the one with the fewest calls in flight (ties: the first).</li>
 * </ul>
 * Deployments {@code usable} rejects (an open breaker) are skipped while another remains.
 */
public final class DeploymentBalancer {
    public static final List<String> STRATEGIES = List.of("round-robin", "weighted", "least-busy");

    /** One deployment: its name (empty for the provider's only one) and weight. */
    public record Deployment(String name, int weight) {}

    private final List<Deployment> deployments;
    private final String strategy;
    private final AtomicLong turn = new AtomicLong();
    private final int[] current;
    private final AtomicInteger[] inFlight;

    public DeploymentBalancer(List<Deployment> deployments, String strategy) {
        if (deployments.isEmpty()) {
            throw new IllegalArgumentException("a provider has at least one deployment");
        }
        if (!STRATEGIES.contains(strategy)) {
            throw new IllegalArgumentException("balancing '" + strategy + "': expected one of " + STRATEGIES);
        }
        this.deployments = List.copyOf(deployments);
        this.strategy = strategy;
        this.current = new int[deployments.size()];
        this.inFlight = new AtomicInteger[deployments.size()];
        for (int i = 0; i < inFlight.length; i++) {
            inFlight[i] = new AtomicInteger();
        }
    }

    /** Parses {@code name:weight, name:weight} (weight defaults to 1); empty means the provider's one deployment. */
    public static List<Deployment> parse(String declared) {
        if (declared == null || declared.isBlank()) {
            return List.of(new Deployment("", 1));
        }
        return java.util.Arrays.stream(declared.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(s -> {
            String[] parts = s.split(":", 2);
            String name = parts[0].trim().toLowerCase(Locale.ROOT);
            if (!name.matches("[a-z0-9][a-z0-9-]*")) {
                throw new IllegalArgumentException("deployment name '" + name + "': lower-case letters, digits and '-'");
            }
            int weight = parts.length == 2 ? Integer.parseInt(parts[1].trim()) : 1;
            if (weight < 1) {
                throw new IllegalArgumentException("deployment '" + name + "' has weight " + weight + ": expected 1 or more");
            }
            return new Deployment(name, weight);
        }).toList();
    }

    public List<Deployment> deployments() {
        return deployments;
    }

    /** The deployment for the next call. */
    public Deployment pick(Predicate<Deployment> usable) {
        if (deployments.size() == 1) {
            return deployments.get(0);
        }
        int i = switch (strategy) {
            case "weighted" -> weighted(usable);
            case "least-busy" -> leastBusy(usable);
            default -> roundRobin(usable);
        };
        return deployments.get(i);
    }

    /** Counts a call in flight on the deployment until {@link #finished} (least-busy reads it). */
    public void started(Deployment d) {
        inFlight[deployments.indexOf(d)].incrementAndGet();
    }

    public void finished(Deployment d) {
        inFlight[deployments.indexOf(d)].decrementAndGet();
    }

    private int roundRobin(Predicate<Deployment> usable) {
        int n = deployments.size();
        int start = (int) Math.floorMod(turn.getAndIncrement(), (long) n);
        for (int k = 0; k < n; k++) {
            if (usable.test(deployments.get((start + k) % n))) {
                return (start + k) % n;
            }
        }
        return start;
    }

    private synchronized int weighted(Predicate<Deployment> usable) {
        int total = 0;
        int best = -1;
        for (int i = 0; i < deployments.size(); i++) {
            if (!usable.test(deployments.get(i))) {
                continue;
            }
            current[i] += deployments.get(i).weight();
            total += deployments.get(i).weight();
            if (best < 0 || current[i] > current[best]) {
                best = i;
            }
        }
        if (best < 0) {
            return roundRobin(d -> true);
        }
        current[best] -= total;
        return best;
    }

    private int leastBusy(Predicate<Deployment> usable) {
        int best = -1;
        for (int i = 0; i < deployments.size(); i++) {
            if (usable.test(deployments.get(i)) && (best < 0 || inFlight[i].get() < inFlight[best].get())) {
                best = i;
            }
        }
        return best < 0 ? 0 : best;
    }
}
