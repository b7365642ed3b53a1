package ai.infrastack.gateway.budget;

import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.catalog.PriceTier;
import ai.infrastack.gateway.cost.CostCalculator;
import ai.infrastack.gateway.streaming.TokenEstimator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The worst case: counted prompt tokens plus margin and images, max_tokens × n output, at the catalog's rates. */
class WorstCaseEstimatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    // $2.50 input, $10 output, $3.125 cache write per 1M tokens
    private static final ModelSpec MODEL = new ModelSpec("m", "openai", "M", "m", List.of(),
            List.of(new PriceTier(0, new BigDecimal("2.50"), new BigDecimal("10.00"), null, new BigDecimal("3.125"))),
            128_000, 16_384, true, true, true, "general", "standard", 100, Set.of(), "max_tokens", 4096);
    private final TokenEstimator tokens = new TokenEstimator();
    private final WorstCaseEstimator estimator = new WorstCaseEstimator(tokens, new CostCalculator(BigDecimal.ZERO), new BigDecimal("25"), 1000);

    @Test
    void counts_the_prompt_with_the_tokenizer_plus_margin_and_prices_max_tokens_times_n_at_the_dearest_input_rate() throws Exception {
        ObjectNode request = (ObjectNode) JSON.readTree("{\"model\":\"m\",\"max_tokens\":100,\"n\":2,\"messages\":["
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"What is in this picture?\"},"
                + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/a.png\"}}]}]}");
        long counted = tokens.estimate(request.path("messages"), "").promptTokens();
        WorstCaseEstimator.Estimate e = estimator.estimate(MODEL, request);
        assertEquals((long) Math.ceil(counted * 1.25) + 1000, e.promptTokens());
        assertEquals(200, e.outputTokens());
        assertTrue(e.clientSetMaxTokens());
        BigDecimal expected = new BigDecimal("3.125").multiply(BigDecimal.valueOf(e.promptTokens()))
                .add(new BigDecimal("10").multiply(BigDecimal.valueOf(200))).divide(BigDecimal.valueOf(1_000_000));
        assertEquals(0, expected.compareTo(e.cost()), e.cost() + " vs " + expected);
    }

    @Test
    void without_max_tokens_the_model_limit_bounds_the_output_and_the_cap_fits_the_budget() throws Exception {
        ObjectNode request = (ObjectNode) JSON.readTree("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        WorstCaseEstimator.Estimate e = estimator.estimate(MODEL, request);
        assertEquals(16_384, e.outputTokens());
        long fits = estimator.outputWithin(MODEL, request, e.promptTokens(), new BigDecimal("0.001"));
        request.put("max_tokens", fits);
        assertTrue(estimator.estimate(MODEL, request).cost().compareTo(new BigDecimal("0.001")) <= 0);
        request.put("max_tokens", fits + 1);
        assertTrue(estimator.estimate(MODEL, request).cost().compareTo(new BigDecimal("0.001")) > 0, "the cap is the largest that fits");
    }
}
