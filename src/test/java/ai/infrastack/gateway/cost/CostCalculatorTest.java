package ai.infrastack.gateway.cost;

import ai.infrastack.gateway.core.Cost;
import ai.infrastack.gateway.core.Usage;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.catalog.PriceTier;
import ai.infrastack.gateway.core.Completion;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The cost of one call: every usage bucket times its own catalog rate (per 1M tokens), exact in
 * BigDecimal, with context-length tiers, markup and cache savings.
 */
class CostCalculatorTest {
    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

    /** Rates chosen so that every bucket has a different one: a bucket billed at the wrong rate shows. */
    private static final PriceTier BASE = new PriceTier(0, bd("3.00"), bd("15.00"), bd("0.30"), bd("3.75"));
    private static final ModelSpec PRICED = spec("hand-priced", List.of(BASE));

    private static ModelCatalog catalog;
    private static CamelContext camel;

    private final CostCalculator calculator = new CostCalculator(BigDecimal.ZERO);

    @BeforeAll
    static void setUp() {
        catalog = ModelCatalog.load(Path.of("pricing"));
        camel = new DefaultCamelContext();
    }

    @AfterAll
    static void tearDown() throws Exception {
        camel.close();
    }

    private static BigDecimal bd(String v) {
        return new BigDecimal(v);
    }

    private static ModelSpec spec(String id, List<PriceTier> tiers) {
        return new ModelSpec(id, "test", id, id, List.of(), tiers, 200_000, 4096, false, true, true,
                "general", "standard", 1000, Set.of(), "max_tokens", 4096);
    }

    private static ModelSpec real(String id) {
        return catalog.find(id).orElseThrow(() -> new AssertionError("no " + id + " in the real catalog"));
    }

    /** tokens × rate per 1M, exact. */
    private static BigDecimal at(long tokens, String perMillion) {
        return bd(perMillion).multiply(BigDecimal.valueOf(tokens)).divide(MILLION);
    }

    private static void assertAmount(BigDecimal expected, BigDecimal actual, String what) {
        assertNotNull(actual, what);
        assertEquals(0, expected.compareTo(actual), what + ": expected " + expected.toPlainString() + " but was " + actual.toPlainString());
    }

    private static Usage usage(long uncached, long cacheRead, long cacheWrite, long output) {
        return new Usage(uncached, cacheRead, cacheWrite, output, 0, false);
    }

    // ---- each bucket at its own rate ------------------------------------------------------------

    @Test
    void uncached_input_is_billed_at_the_input_rate() {
        Cost c = calculator.cost(PRICED, usage(1_000, 0, 0, 0));
        assertAmount(bd("0.003"), c.inputCost(), "input");
        assertAmount(BigDecimal.ZERO, c.outputCost(), "output");
        assertAmount(BigDecimal.ZERO, c.cacheSavings(), "savings");
    }

    @Test
    void cache_read_tokens_are_billed_at_the_cached_input_rate() {
        Cost c = calculator.cost(PRICED, usage(0, 1_000, 0, 0));
        assertAmount(bd("0.0003"), c.inputCost(), "1000 cache reads at $0.30/M");
        assertAmount(BigDecimal.ZERO, c.outputCost(), "output");
    }

    @Test
    void cache_write_tokens_are_billed_at_the_cache_write_rate() {
        Cost c = calculator.cost(PRICED, usage(0, 0, 1_000, 0));
        assertAmount(bd("0.00375"), c.inputCost(), "1000 cache writes at $3.75/M");
        assertAmount(BigDecimal.ZERO, c.cacheSavings(), "a cache write saves nothing");
    }

    @Test
    void output_tokens_are_billed_at_the_output_rate() {
        Cost c = calculator.cost(PRICED, usage(0, 0, 0, 1_000));
        assertAmount(bd("0.015"), c.outputCost(), "output");
        assertAmount(BigDecimal.ZERO, c.inputCost(), "input");
    }

    @Test
    void reasoning_tokens_inside_output_are_billed_once_at_the_output_rate() {
        Cost c = calculator.cost(PRICED, new Usage(0, 0, 0, 500, 200, false));
        assertAmount(bd("0.0075"), c.outputCost(), "500 output tokens (200 of them reasoning) at $15/M");
    }

    @Test
    void all_buckets_together_sum_each_at_its_own_rate() {
        Cost c = calculator.cost(PRICED, usage(1_234, 1_200, 300, 77));
        BigDecimal input = at(1_234, "3.00").add(at(1_200, "0.30")).add(at(300, "3.75"));
        assertAmount(input, c.inputCost(), "input");
        assertAmount(at(77, "15.00"), c.outputCost(), "output");
        assertAmount(input.add(at(77, "15.00")), c.totalCost(), "total");
    }

    @Test
    void real_catalog_claude_3_5_sonnet_bills_each_bucket_at_its_yaml_rate() {
        Cost c = calculator.cost(real("claude-3.5-sonnet"), usage(100, 1_200, 300, 50));
        assertAmount(at(100, "3.00").add(at(1_200, "0.30")).add(at(300, "3.75")), c.inputCost(), "input");
        assertAmount(at(50, "15.00"), c.outputCost(), "output");
    }

    @Test
    void model_without_a_cache_price_bills_cached_tokens_at_the_input_rate() {
        ModelSpec gpt4Turbo = real("gpt-4-turbo");
        assertNull(gpt4Turbo.tiers().get(0).cachedInput(), "gpt-4-turbo has no cache price in the catalog");
        Cost c = calculator.cost(gpt4Turbo, usage(500, 1_000, 0, 0));
        assertAmount(at(1_500, "10.00"), c.inputCost(), "cached tokens at the full $10/M input rate");
        assertAmount(BigDecimal.ZERO, c.cacheSavings(), "no cache price, no savings");

        ModelSpec noCachePrices = spec("no-cache", List.of(new PriceTier(0, bd("2.00"), bd("8.00"), null, null)));
        Cost hand = calculator.cost(noCachePrices, usage(0, 700, 300, 0));
        assertAmount(at(1_000, "2.00"), hand.inputCost(), "cache reads and writes at the input rate");
    }

    // ---- context-length tiers -------------------------------------------------------------------

    @Test
    void claude_sonnet_4_5_prompt_above_200k_bills_all_tokens_at_the_tier() {
        ModelSpec sonnet = real("claude-sonnet-4.5");
        // 150,001 + 40,000 + 10,000 = 200,001 prompt tokens: cache reads and writes count toward the threshold.
        Cost c = calculator.cost(sonnet, usage(150_001, 40_000, 10_000, 1_000));
        assertAmount(at(150_001, "6.00").add(at(40_000, "0.60")).add(at(10_000, "7.50")), c.inputCost(), "input at the >200k tier");
        assertAmount(at(1_000, "22.50"), c.outputCost(), "output at the >200k tier too");
        assertAmount(at(40_000, "5.40"), c.cacheSavings(), "savings at the tier's rates (6.00 - 0.60)");
    }

    @Test
    void gpt_5_4_prompt_above_272k_bills_all_tokens_at_the_tier() {
        Cost c = calculator.cost(real("gpt-5.4"), usage(272_001, 0, 0, 2_000));
        assertAmount(at(272_001, "5.00"), c.inputCost(), "input at the >272k tier");
        assertAmount(at(2_000, "22.50"), c.outputCost(), "output at the >272k tier");
    }

    @Test
    void prompt_exactly_at_the_threshold_stays_at_the_base_rate() {
        Cost sonnet = calculator.cost(real("claude-sonnet-4.5"), usage(150_000, 40_000, 10_000, 1_000));
        assertAmount(at(150_000, "3.00").add(at(40_000, "0.30")).add(at(10_000, "3.75")), sonnet.inputCost(), "200,000 is not above 200k");
        assertAmount(at(1_000, "15.00"), sonnet.outputCost(), "output at base");

        Cost gpt = calculator.cost(real("gpt-5.4"), usage(272_000, 0, 0, 2_000));
        assertAmount(at(272_000, "2.50"), gpt.inputCost(), "272,000 is not above 272k");
        assertAmount(at(2_000, "15.00"), gpt.outputCost(), "output at base");
    }

    @Test
    void hand_built_tiers_pick_the_highest_threshold_the_prompt_exceeds() {
        ModelSpec tiered = spec("tiered", List.of(
                new PriceTier(0, bd("1.00"), bd("2.00"), bd("0.10"), null),
                new PriceTier(1_000, bd("10.00"), bd("20.00"), bd("1.00"), null),
                new PriceTier(5_000, bd("100.00"), bd("200.00"), bd("10.00"), null)));

        Cost base = calculator.cost(tiered, usage(1_000, 0, 0, 10));
        assertAmount(at(1_000, "1.00"), base.inputCost(), "exactly 1000: base");
        assertAmount(at(10, "2.00"), base.outputCost(), "exactly 1000: base output");

        Cost middle = calculator.cost(tiered, usage(801, 200, 0, 10));
        assertAmount(at(801, "10.00").add(at(200, "1.00")), middle.inputCost(), "1001 prompt tokens: the 1k tier for every token");
        assertAmount(at(10, "20.00"), middle.outputCost(), "1001 prompt tokens: the 1k tier output");

        Cost top = calculator.cost(tiered, usage(5_001, 0, 0, 10));
        assertAmount(at(5_001, "100.00"), top.inputCost(), "5001 prompt tokens: the 5k tier");
        assertAmount(at(10, "200.00"), top.outputCost(), "5001 prompt tokens: the 5k tier output");
    }

    // ---- markup and savings ---------------------------------------------------------------------

    @Test
    void markup_percent_10_raises_input_and_output_by_10_percent() {
        Usage u = usage(1_000, 0, 0, 1_000);
        Cost plain = calculator.cost(PRICED, u);
        Cost marked = new CostCalculator(BigDecimal.TEN).cost(PRICED, u);
        assertAmount(bd("0.0033"), marked.inputCost(), "input +10%");
        assertAmount(bd("0.0165"), marked.outputCost(), "output +10%");
        assertAmount(plain.totalCost().multiply(bd("1.1")), marked.totalCost(), "total +10%");
    }

    @Test
    void a_response_cache_hit_is_free_by_default_and_saves_the_whole_call() {
        Cost call = calculator.cost(PRICED, usage(1_000, 0, 0, 1_000));
        Cost hit = calculator.cacheHit(call);
        assertAmount(BigDecimal.ZERO, hit.totalCost(), "free");
        assertAmount(call.totalCost(), hit.cacheSavings(), "saves what the call would have cost");
    }

    @Test
    void a_configured_cache_price_charges_that_percent_of_the_call_and_saves_the_rest() {
        Cost call = calculator.cost(PRICED, usage(1_000, 0, 0, 1_000));
        Cost hit = new CostCalculator(BigDecimal.ZERO, bd("10")).cacheHit(call);
        assertAmount(call.inputCost().multiply(bd("0.1")), hit.inputCost(), "10% of the input");
        assertAmount(call.outputCost().multiply(bd("0.1")), hit.outputCost(), "10% of the output");
        assertAmount(call.totalCost().multiply(bd("0.9")), hit.cacheSavings(), "the other 90% saved");
    }

    @Test
    void cache_savings_are_cache_read_tokens_times_input_minus_cached_rate() {
        Cost c = calculator.cost(PRICED, usage(500, 1_200, 300, 100));
        assertAmount(at(1_200, "2.70"), c.cacheSavings(), "1200 × (3.00 - 0.30) per 1M");
        assertAmount(bd("0.00324"), c.cacheSavings(), "literal value");

        Cost gpt4o = calculator.cost(real("gpt-4o"), usage(300, 1_200, 0, 10));
        assertAmount(at(1_200, "1.25"), gpt4o.cacheSavings(), "gpt-4o: 1200 × (2.50 - 1.25) per 1M");
    }

    // ---- unpriced models ------------------------------------------------------------------------

    @Test
    void unpriced_model_yields_null_cost_and_increments_unpriced_responses() {
        ModelSpec unpriced = spec("unpriced", List.of());
        CostCalculator fresh = new CostCalculator(BigDecimal.ZERO);
        assertNull(fresh.cost(unpriced, usage(10, 0, 0, 5)), "no price, no made-up $0");

        Exchange exchange = exchangeFor(unpriced, usage(10, 0, 0, 5));
        exchange.setProperty(ExchangeKeys.COST, "stale");
        fresh.process(exchange);
        assertNull(exchange.getProperty(ExchangeKeys.COST), "the response carries no cost");
        assertEquals(1, fresh.unpricedResponses());

        fresh.process(exchangeFor(unpriced, usage(3, 0, 0, 1)));
        assertEquals(2, fresh.unpricedResponses());
    }

    @Test
    void priced_model_sets_the_cost_property_and_is_not_counted_as_unpriced() {
        CostCalculator fresh = new CostCalculator(BigDecimal.ZERO);
        Exchange exchange = exchangeFor(PRICED, usage(1_000, 0, 0, 1_000));
        fresh.process(exchange);
        Cost c = exchange.getProperty(ExchangeKeys.COST, Cost.class);
        assertNotNull(c);
        assertAmount(bd("0.018"), c.totalCost(), "total");
        assertEquals(0, fresh.unpricedResponses());
    }

    private static Exchange exchangeFor(ModelSpec model, Usage usage) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.setProperty(ExchangeKeys.MODEL, model);
        exchange.setProperty(ExchangeKeys.REQUEST_ID, "req_unit");
        exchange.setProperty(ExchangeKeys.COMPLETION,
                Completion.unary("chatcmpl-unit", 0, JsonNodeFactory.instance.arrayNode(), usage, model.upstream()));
        return exchange;
    }

    // ---- exactness ------------------------------------------------------------------------------

    @Test
    void no_floating_point_drift() {
        ModelSpec cheap = spec("cheap", List.of(new PriceTier(0, bd("0.075"), bd("0.075"), null, null)));
        Cost three = calculator.cost(cheap, usage(3, 0, 0, 0));
        assertEquals(0, bd("0.000000225").compareTo(three.inputCost()), three.inputCost().toPlainString());

        Cost mini = calculator.cost(real("gpt-4o-mini"), usage(0, 3, 0, 0));
        assertEquals(0, bd("0.000000225").compareTo(mini.inputCost()), "3 cached tokens at gpt-4o-mini's $0.075/M");

        // 0.1 + 0.2 in double is 0.30000000000000004.
        ModelSpec tenths = spec("tenths", List.of(new PriceTier(0, bd("0.1"), bd("1"), null, bd("0.2"))));
        Cost sum = calculator.cost(tenths, usage(1, 0, 1, 0));
        assertEquals(0, bd("0.0000003").compareTo(sum.inputCost()), sum.inputCost().toPlainString());

        Cost many = calculator.cost(cheap, usage(1, 0, 0, 0));
        BigDecimal total = BigDecimal.ZERO;
        for (int i = 0; i < 1_000; i++) {
            total = total.add(many.inputCost());
        }
        assertEquals(0, bd("0.000075").compareTo(total), "a thousand 1-token calls add up to exactly one 1000-token call");
    }
}
