package ai.infrastack.gateway.budget;

import ai.infrastack.gateway.support.Await;
import ai.infrastack.gateway.support.RunningGateway;
import ai.infrastack.gateway.support.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;

import static ai.infrastack.gateway.budget.BudgetClients.budgetOf;
import static ai.infrastack.gateway.budget.BudgetClients.heldStream;
import static ai.infrastack.gateway.budget.BudgetClients.json;
import static ai.infrastack.gateway.budget.BudgetClients.postAsync;
import static ai.infrastack.gateway.budget.BudgetClients.projectKey;
import static ai.infrastack.gateway.budget.BudgetClients.setBudget;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Period budgets under concurrency, on PostgreSQL: 50 requests at once against a budget that pays
 * for 10 worst cases. The served ones are parked by the sandbox until every request has its answer
 * or is parked, so all 50 compete for the budget at the same time — no timing involved.
 */
class ConcurrentBudgetTest {
    private static final String MODEL = "gpt-4o-mini";
    private static final String EXTRA = "{\"stream\":true,\"max_tokens\":200}";

    @Test
    void fifty_concurrent_requests_against_a_budget_for_ten_serve_at_most_ten_twenty_times_over() {
        try (RunningGateway gateway = RunningGateway.start(Map.of("gateway.database.url", TestDatabases.freshPostgres()))) {
            BigDecimal worstCase = worstCase(gateway);
            for (int round = 0; round < 20; round++) {
                String project = "proj-" + round;
                String key = projectKey(gateway, project);
                BigDecimal limit = worstCase.multiply(BigDecimal.valueOf(10)).add(worstCase.divide(BigDecimal.TWO));
                setBudget(gateway, "{\"project_id\":\"" + project + "\",\"period\":\"day\",\"limit\":" + limit.toPlainString() + "}");
                String hold = "round-" + round;
                List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    calls.add(postAsync(gateway, heldStream(MODEL, hold, EXTRA), key));
                }
                check(calls, () -> gateway.sandbox().held(hold), () -> gateway.sandbox().release(hold), limit,
                        () -> budgetOf(gateway, project, "day"));
            }
        }
    }

    @Test
    void two_instances_sharing_the_database_serve_at_most_ten_together() {
        String database = TestDatabases.freshPostgres();
        try (RunningGateway a = RunningGateway.start(Map.of("gateway.database.url", database));
             RunningGateway b = RunningGateway.start(Map.of("gateway.database.url", database))) {
            BigDecimal worstCase = worstCase(a);
            String project = "proj-shared";
            String key = projectKey(a, project);
            BigDecimal limit = worstCase.multiply(BigDecimal.valueOf(10)).add(worstCase.divide(BigDecimal.TWO));
            setBudget(a, "{\"project_id\":\"" + project + "\",\"period\":\"day\",\"limit\":" + limit.toPlainString() + "}");
            // b learns of the budget at its next look at the limits (at most gateway.budget.limits-refresh-ms)
            Await.until(() -> budgetOf(b, project, "day") != null);
            List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                calls.add(postAsync(i % 2 == 0 ? a : b, heldStream(MODEL, "shared", EXTRA), key));
            }
            check(calls, () -> a.sandbox().held("shared") + b.sandbox().held("shared"),
                    () -> { a.sandbox().release("shared"); b.sandbox().release("shared"); }, limit,
                    () -> budgetOf(a, project, "day"));
        }
    }

    /** The reservation one request makes, read while it is parked (on a budget of its own). */
    private static BigDecimal worstCase(RunningGateway gateway) {
        String key = projectKey(gateway, "probe");
        setBudget(gateway, "{\"project_id\":\"probe\",\"period\":\"month\",\"limit\":100}");
        CompletableFuture<HttpResponse<String>> call = postAsync(gateway, heldStream(MODEL, "probe", EXTRA), key);
        Await.until(() -> gateway.sandbox().held("probe") == 1);
        BigDecimal reserved = budgetOf(gateway, "probe", "month").path("reserved").decimalValue();
        gateway.sandbox().release("probe");
        assertEquals(200, call.join().statusCode());
        assertTrue(reserved.signum() > 0, "a worst case was reserved");
        return reserved;
    }

    private static void check(List<CompletableFuture<HttpResponse<String>>> calls, IntSupplier parked, Runnable release,
                              BigDecimal limit, java.util.function.Supplier<JsonNode> budget) {
        // Every request has either been answered (402) or is parked upstream holding its reservation.
        Await.until(() -> parked.getAsInt() + (int) calls.stream().filter(CompletableFuture::isDone).count() == 50);
        int servedAtOnce = parked.getAsInt();
        JsonNode during = budget.get();
        release.run();
        int served = 0;
        int refused = 0;
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            HttpResponse<String> r = c.join();
            if (r.statusCode() == 200) {
                served++;
            } else {
                assertEquals(402, r.statusCode(), r.body());
                assertEquals("budget_exceeded", json(r).path("error").path("code").asText(), r.body());
                refused++;
            }
        }
        assertEquals(servedAtOnce, served);
        assertTrue(served <= 10, "served " + served);
        assertEquals(10, served, "a budget for ten worst cases serves ten");
        assertEquals(50 - served, refused);
        assertTrue(during.path("spent").decimalValue().add(during.path("reserved").decimalValue()).compareTo(limit) <= 0, during.toString());
        JsonNode after = budget.get();
        assertTrue(after.path("spent").decimalValue().compareTo(limit) <= 0, after.toString());
        assertTrue(after.path("spent").decimalValue().signum() > 0, after.toString());
        assertEquals(0, after.path("reserved").decimalValue().signum(), after.toString());
    }
}
