package ai.infrastack.gateway.budget;

import ai.infrastack.gateway.sandbox.SandboxDirectives;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

import static ai.infrastack.gateway.budget.BudgetClients.budgetOf;
import static ai.infrastack.gateway.budget.BudgetClients.chat;
import static ai.infrastack.gateway.budget.BudgetClients.json;
import static ai.infrastack.gateway.budget.BudgetClients.projectKey;
import static ai.infrastack.gateway.budget.BudgetClients.setBudget;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Attribution, the budgets API, and what a failed call leaves on a budget (on the embedded H2 default). */
class BudgetRulesTest {
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
    void a_key_pinned_to_a_project_cannot_charge_another_project() {
        String key = projectKey(gateway, "own-project");
        setBudget(gateway, "{\"project_id\":\"someone-else\",\"period\":\"day\",\"limit\":5}");
        setBudget(gateway, "{\"project_id\":\"own-project\",\"period\":\"day\",\"limit\":5}");
        HttpResponse<String> r = gateway.post("/chat/completions",
                chat("gpt-4o-mini", "Hi", "{\"budget\":{\"project_id\":\"someone-else\"}}"), key);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(0, budgetOf(gateway, "someone-else", "day").path("spent").decimalValue().signum());
        assertTrue(budgetOf(gateway, "own-project", "day").path("spent").decimalValue().signum() > 0);
    }

    @Test
    void a_key_charges_its_own_end_user_named_in_the_request() {
        String key = projectKey(gateway, "p-users");
        setBudget(gateway, "{\"project_id\":\"p-users\",\"user_id\":\"alice\",\"period\":\"month\",\"limit\":5}");
        HttpResponse<String> r = gateway.post("/chat/completions", chat("gpt-4o-mini", "Hi", "{\"budget\":{\"user_id\":\"alice\"}}"), key);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode alice = userBudget("p-users", "alice");
        assertEquals(0, alice.path("spent").decimalValue().compareTo(json(r).path("cost").path("total_cost").decimalValue()), alice.toString());
        assertEquals(0, alice.path("reserved").decimalValue().signum());
    }

    @Test
    void a_failed_upstream_call_gives_its_reservation_back_and_charges_nothing() {
        String key = projectKey(gateway, "p-fail");
        setBudget(gateway, "{\"project_id\":\"p-fail\",\"period\":\"day\",\"limit\":1}");
        HttpResponse<String> r = gateway.post("/chat/completions",
                chat("gpt-4o-mini", "Hi " + SandboxDirectives.directive("status", 500), null), key);
        assertTrue(r.statusCode() >= 500, r.body());
        JsonNode b = budgetOf(gateway, "p-fail", "day");
        assertEquals(0, b.path("spent").decimalValue().signum(), b.toString());
        assertEquals(0, b.path("reserved").decimalValue().signum(), b.toString());
    }

    @Test
    void a_stream_cut_mid_way_is_charged_what_it_used_and_holds_nothing() {
        String key = projectKey(gateway, "p-cut");
        setBudget(gateway, "{\"project_id\":\"p-cut\",\"period\":\"day\",\"limit\":1}");
        HttpResponse<String> r = gateway.post("/chat/completions",
                chat("gpt-4o-mini", "Tell a story " + SandboxDirectives.directive("fail_after", 3), "{\"stream\":true}"), key);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode b = budgetOf(gateway, "p-cut", "day");
        assertEquals(0, b.path("reserved").decimalValue().signum(), b.toString());
        assertTrue(b.path("spent").decimalValue().compareTo(BigDecimal.ONE) <= 0);
    }

    @Test
    void a_key_reads_its_own_budgets_with_remaining_and_reset_time_and_cannot_set_any() {
        String key = projectKey(gateway, "p-read");
        setBudget(gateway, "{\"project_id\":\"p-read\",\"period\":\"day\",\"limit\":2.5,\"alert_thresholds\":[2]}");
        setBudget(gateway, "{\"project_id\":\"p-other\",\"period\":\"day\",\"limit\":9}");
        HttpResponse<String> list = gateway.get("/budgets", key);
        assertEquals(200, list.statusCode(), list.body());
        JsonNode data = json(list).path("data");
        assertEquals(1, data.size(), list.body());
        JsonNode b = data.get(0);
        assertEquals("p-read", b.path("project_id").asText());
        assertEquals(0, b.path("limit").decimalValue().compareTo(new BigDecimal("2.5")));
        assertEquals(0, b.path("remaining").decimalValue().compareTo(new BigDecimal("2.5")));
        Instant tomorrow = LocalDate.now(ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        assertEquals(tomorrow.getEpochSecond(), b.path("reset_time").asLong());
        HttpResponse<String> set = gateway.post("/budgets", "{\"project_id\":\"p-read\",\"period\":\"day\",\"limit\":100}", key);
        assertEquals(403, set.statusCode(), set.body());
    }

    @Test
    void a_period_budget_refuses_with_402_naming_it_once_spent() {
        String key = projectKey(gateway, "p-tiny");
        setBudget(gateway, "{\"project_id\":\"p-tiny\",\"period\":\"month\",\"limit\":0.000001}");
        HttpResponse<String> r = gateway.post("/chat/completions", chat("gpt-4o", "Hi", "{\"max_tokens\":100}"), key);
        assertEquals(402, r.statusCode(), r.body());
        JsonNode error = json(r).path("error");
        assertEquals("budget_exceeded", error.path("code").asText());
        assertEquals("permission_error", error.path("type").asText());
        assertTrue(error.path("message").asText().contains("monthly budget of project 'p-tiny'"), error.toString());
    }

    private static JsonNode userBudget(String project, String user) {
        for (JsonNode b : json(gateway.get("/budgets", RunningGateway.MASTER_KEY)).path("data")) {
            if ("user".equals(b.path("scope").asText()) && user.equals(b.path("user_id").asText()) && project.equals(b.path("project_id").asText())) {
                return b;
            }
        }
        throw new AssertionError("no budget of user " + user);
    }
}
