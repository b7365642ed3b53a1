package ai.infrastack.gateway.routing;

import ai.infrastack.gateway.catalog.ModelSpec;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Orders the models that can answer a request by a strategy:
 * <ul>
 *   <li>{@code cost}: the estimated price of this request (catalog prices), cheapest first;</li>
 *   <li>{@code speed}: the latency observed live (ObservedLatency), fastest first;</li>
 *   <li>{@code quality}: the catalog's quality score, best first;</li>
 *   <li>{@code auto}: the sum of the three, each normalised to 0–1 over the candidates:
 *       {@code (1 - cost') + (1 - latency') + quality'}, highest first; without cost optimisation
 *       the cost term is left out.</li>
 * </ul>
 * Unpriced models rank after priced ones under cost and auto. Ties keep the catalog's order, and
 * models of preferred providers come before the others whatever the strategy.
 */
public final class ModelRanking {
    private final ObservedLatency latency;

    public ModelRanking(ObservedLatency latency) {
        this.latency = latency;
    }

    public List<ModelSpec> rank(List<ModelSpec> candidates, String strategy, RequestNeeds needs, List<String> preferred,
                                boolean costOptimisation) {
        Map<ModelSpec, Double> score = new HashMap<>();
        Range cost = new Range();
        Range time = new Range();
        Range quality = new Range();
        for (ModelSpec m : candidates) {
            BigDecimal c = needs.estimatedCost(m);
            if (c != null) {
                cost.add(c.doubleValue());
            }
            time.add(latency.of(m));
            quality.add(m.quality());
        }
        for (ModelSpec m : candidates) {
            BigDecimal c = needs.estimatedCost(m);
            double costScore = c == null ? -1 : 1 - cost.normalise(c.doubleValue());
            double speedScore = 1 - time.normalise(latency.of(m));
            double qualityScore = quality.normalise(m.quality());
            score.put(m, switch (strategy) {
                case "cost" -> costScore;
                case "speed" -> speedScore;
                case "quality" -> qualityScore;
                default -> (costOptimisation ? costScore : 0) + speedScore + qualityScore;
            });
        }
        List<ModelSpec> ranked = new ArrayList<>(candidates);
        ranked.sort(Comparator.<ModelSpec>comparingInt(m -> preferred.contains(m.provider()) ? 0 : 1)
                .thenComparing(m -> -score.get(m)));
        return ranked;
    }

    /** The observed latency the speed strategy ranks by. */
    public long latencyOf(ModelSpec model) {
        return latency.of(model);
    }

    private static final class Range {
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;

        void add(double v) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }

        double normalise(double v) {
            return max <= min ? 0 : (v - min) / (max - min);
        }
    }
}
