package ai.infrastack.gateway.budget;

import ai.infrastack.gateway.auth.Caller;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.GatewayException;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * Whom a request's spend is charged to. A key pinned to a project charges that project only (naming
 * another is refused, 403); a key pinned to a user charges that user only; any key may name its own
 * end users with {@code budget.user_id}; an unpinned key (or the master key) may name a project.
 */
public record Attribution(String keyId, String userId, String projectId) {

    public static Attribution of(Caller caller, JsonNode budget) {
        String askedUser = text(budget, "user_id");
        String askedProject = text(budget, "project_id");
        if (caller.projectId() != null && askedProject != null && !askedProject.equals(caller.projectId())) {
            throw GatewayException.of(ErrorType.PERMISSION, "This API key belongs to project '" + caller.projectId()
                    + "' and cannot charge project '" + askedProject + "'").param("budget.project_id").code("project_not_allowed").build();
        }
        if (caller.userId() != null && askedUser != null && !askedUser.equals(caller.userId())) {
            throw GatewayException.of(ErrorType.PERMISSION, "This API key belongs to user '" + caller.userId()
                    + "' and cannot charge user '" + askedUser + "'").param("budget.user_id").code("user_not_allowed").build();
        }
        return new Attribution(caller.keyId(),
                caller.userId() != null ? caller.userId() : askedUser,
                caller.projectId() != null ? caller.projectId() : askedProject);
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
