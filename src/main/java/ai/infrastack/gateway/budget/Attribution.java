package ai.infrastack.gateway.budget;

import ai.infrastack.gateway.auth.Caller;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * Whom a request's spend is charged to. A key pinned to a project or user always charges its own
 * (a request naming another is charged to the key's own, as the request log records it); any key
 * may name its own end users with {@code budget.user_id}; only the master key may name a project.
 */
public record Attribution(String keyId, String userId, String projectId) {

    public static Attribution of(Caller caller, JsonNode budget) {
        String user = caller.userId() != null ? caller.userId() : text(budget, "user_id");
        String project = caller.projectId() != null ? caller.projectId() : caller.admin() ? text(budget, "project_id") : null;
        return new Attribution(caller.keyId(), user, project);
    }

    /** The most specific owner of the spend (user, else project, else key), for a request's own alert threshold. */
    public BudgetScope narrowest(Period period) {
        if (userId != null) {
            return new BudgetScope(BudgetScope.USER, BudgetScope.userScopeId(projectId, userId), period);
        }
        if (projectId != null) {
            return new BudgetScope(BudgetScope.PROJECT, projectId, period);
        }
        return new BudgetScope(BudgetScope.KEY, keyId, period);
    }

    private static String text(JsonNode budget, String field) {
        JsonNode v = budget == null ? null : budget.get(field);
        return v == null || !v.isTextual() || v.asText().isBlank() ? null : v.asText();
    }
}
