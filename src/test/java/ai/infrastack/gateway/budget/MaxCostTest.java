package ai.infrastack.gateway.budget;

import ai.infrastack.gateway.core.Cost;
import ai.infrastack.gateway.sandbox.RecordedRequest;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.http.HttpResponse;

import static ai.infrastack.gateway.budget.BudgetClients.JSON;
import static ai.infrastack.gateway.budget.BudgetClients.chat;
import static ai.infrastack.gateway.budget.BudgetClients.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** budget.max_cost: the worst case is checked before the call; max_tokens is capped or the request refused. */
class MaxCostTest {
    private static RunningGateway gateway;

    @BeforeAll
    static void start() {
        gateway = RunningGateway.start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void caps_max_tokens_when_the_client_set_none_and_the_cost_stays_within_max_cost() throws Exception {
        // gpt-4o: $2.50 / $10 per 1M; 16,384 output tokens alone would be $0.16.
        HttpResponse<String> r = gateway.post("/chat/completions",
                chat("gpt-4o", "Tell me a long story about a lighthouse.", "{\"budget\":{\"max_cost\":0.002}}"), RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body());
        String capped = r.headers().firstValue("X-Gateway-Max-Tokens-Capped").orElseThrow();
        long cap = Long.parseLong(capped);
        assertTrue(cap >= 16 && cap < 200, "cap " + cap);
        RecordedRequest upstream = gateway.sandbox().lastRequest("openai");
        assertEquals(cap, JSON.readTree(upstream.body()).path("max_tokens").asLong(), upstream.body());
        BigDecimal total = json(r).path("cost").path("total_cost").decimalValue();
        assertTrue(total.compareTo(new BigDecimal("0.002")) <= 0, "cost " + total);
    }

    @Test
    void refuses_with_402_and_the_estimate_when_the_client_set_max_tokens_too_high() {
        HttpResponse<String> r = gateway.post("/chat/completions",
                chat("gpt-4o", "Hello", "{\"max_tokens\":1000,\"budget\":{\"max_cost\":0.001}}"), RunningGateway.MASTER_KEY);
        assertEquals(402, r.statusCode(), r.body());
        JsonNode error = json(r).path("error");
        assertEquals("permission_error", error.path("type").asText());
        assertEquals("budget_exceeded", error.path("code").asText());
        assertEquals("budget.max_cost", error.path("param").asText());
        // 1000 output tokens at $10/M are $0.01 alone
        assertTrue(error.path("message").asText().contains("$0.01"), error.path("message").asText());
        assertNull(gateway.sandbox().recorded().stream().filter(q -> q.body().contains("\"max_tokens\":1000")).findAny().orElse(null),
                "nothing was sent upstream");
    }

    @Test
    void refuses_when_not_even_a_minimal_answer_fits() {
        HttpResponse<String> r = gateway.post("/chat/completions",
                chat("gpt-4o", "Hello there, how are you today?", "{\"budget\":{\"max_cost\":0.00001}}"), RunningGateway.MASTER_KEY);
        assertEquals(402, r.statusCode(), r.body());
        assertEquals("budget.max_cost", json(r).path("error").path("param").asText());
        assertTrue(r.headers().firstValue("X-Gateway-Max-Tokens-Capped").isEmpty());
    }

    @Test
    void a_stream_is_capped_too_and_its_last_chunk_costs_at_most_max_cost() {
        HttpResponse<String> r = gateway.post("/chat/completions",
                chat("gpt-4o-mini", "Write a poem.", "{\"stream\":true,\"budget\":{\"max_cost\":0.0001}}"), RunningGateway.MASTER_KEY);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("X-Gateway-Max-Tokens-Capped").isPresent(), r.headers().map().toString());
        String costLine = r.body().lines().filter(l -> l.contains("\"total_cost\"")).reduce((a, b) -> b).orElseThrow();
        JsonNode chunk = parse(costLine.substring("data: ".length()));
        assertTrue(chunk.path("cost").path("total_cost").decimalValue().compareTo(new BigDecimal("0.0001")) <= 0, costLine);
    }

    @Test
    void the_charged_cost_is_cut_to_the_bound_when_the_upstream_billed_more() {
        Cost over = new Cost(new BigDecimal("0.00030000"), new BigDecimal("0.00090000"), BigDecimal.ZERO);
        Cost charged = BudgetSettler.capped(over, new BigDecimal("0.001"));
        assertEquals(0, Cost.rendered(charged.inputCost()).add(Cost.rendered(charged.outputCost())).compareTo(new BigDecimal("0.001")));
        assertEquals(0, charged.inputCost().compareTo(new BigDecimal("0.0003")));
        Cost under = new Cost(new BigDecimal("0.0001"), new BigDecimal("0.0002"), BigDecimal.ZERO);
        assertTrue(BudgetSettler.capped(under, new BigDecimal("0.001")) == under);
    }

    private static JsonNode parse(String s) {
        try {
            return JSON.readTree(s);
        } catch (java.io.IOException e) {
            throw new AssertionError(s, e);
        }
    }
}
