package ai.infrastack.gateway.provider;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The balancer's three ways of spreading calls over a provider's deployments. */
class DeploymentBalancerTest {

    @Test
    void weighted_splits_1000_calls_within_5_percent_of_the_weights() {
        DeploymentBalancer b = new DeploymentBalancer(DeploymentBalancer.parse("eu:3, us:1"), "weighted");
        Map<String, Integer> counts = count(b, 1000);
        assertTrue(Math.abs(counts.get("eu") - 750) <= 50, counts.toString());
        assertTrue(Math.abs(counts.get("us") - 250) <= 50, counts.toString());
    }

    @Test
    void round_robin_takes_each_in_turn() {
        DeploymentBalancer b = new DeploymentBalancer(DeploymentBalancer.parse("a,b,c"), "round-robin");
        assertEquals(Map.of("a", 100, "b", 100, "c", 100), count(b, 300));
    }

    @Test
    void least_busy_picks_the_deployment_with_fewest_calls_in_flight() {
        DeploymentBalancer b = new DeploymentBalancer(DeploymentBalancer.parse("a,b"), "least-busy");
        DeploymentBalancer.Deployment first = b.pick(d -> true);
        b.started(first);
        DeploymentBalancer.Deployment second = b.pick(d -> true);
        assertTrue(!first.equals(second), "a busy deployment is passed over");
        b.started(second);
        b.started(second);
        b.finished(first);
        assertEquals(first, b.pick(d -> true));
    }

    @Test
    void an_unusable_deployment_is_skipped_while_another_remains() {
        DeploymentBalancer b = new DeploymentBalancer(DeploymentBalancer.parse("a:5,b:1"), "weighted");
        for (int i = 0; i < 20; i++) {
            assertEquals("b", b.pick(d -> !d.name().equals("a")).name());
        }
    }

    @Test
    void declarations_are_checked() {
        assertEquals(List.of(new DeploymentBalancer.Deployment("", 1)), DeploymentBalancer.parse(""));
        assertThrows(IllegalArgumentException.class, () -> DeploymentBalancer.parse("eu:0"));
        assertThrows(IllegalArgumentException.class, () -> DeploymentBalancer.parse("EU West:1"));
        assertThrows(IllegalArgumentException.class, () -> new DeploymentBalancer(DeploymentBalancer.parse("a,b"), "random"));
    }

    private static Map<String, Integer> count(DeploymentBalancer b, int calls) {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < calls; i++) {
            counts.merge(b.pick(d -> true).name(), 1, Integer::sum);
        }
        return counts;
    }
}
