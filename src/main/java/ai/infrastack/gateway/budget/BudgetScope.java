package ai.infrastack.gateway.budget;

import java.util.Comparator;

/**
 * What a budget is for: a key ({@code key}), an end user ({@code user}) or a project
 * ({@code project}), over a period. A user's id is qualified by its project ({@code project/user})
 * when it has one, so two projects' "user_123" are two users.
 */
public record BudgetScope(String type, String id, Period period) {
    public static final String KEY = "key";
    public static final String USER = "user";
    public static final String PROJECT = "project";

    /** One order every instance locks in, so two requests never wait for each other's locks. */
    public static final Comparator<BudgetScope> LOCK_ORDER =
            Comparator.comparing(BudgetScope::type).thenComparing(BudgetScope::id).thenComparing(BudgetScope::period);

    public static String userScopeId(String projectId, String userId) {
        return projectId == null ? userId : projectId + "/" + userId;
    }

    /** The user part of a user scope's id. */
    public String userId() {
        int slash = id.indexOf('/');
        return USER.equals(type) && slash >= 0 ? id.substring(slash + 1) : USER.equals(type) ? id : null;
    }

    /** The project of a project scope, or of a user scope qualified by one. */
    public String projectId() {
        if (PROJECT.equals(type)) {
            return id;
        }
        int slash = id.indexOf('/');
        return USER.equals(type) && slash >= 0 ? id.substring(0, slash) : null;
    }

    public String describe() {
        return (period == Period.DAY ? "daily" : "monthly") + " budget of " + type + " '" + id + "'";
    }
}
