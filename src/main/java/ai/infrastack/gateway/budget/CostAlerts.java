package ai.infrastack.gateway.budget;

import ai.infrastack.gateway.core.Cost;
import ai.infrastack.gateway.webhook.WebhookOutbox;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The spec's {@code cost_alert} event, written to the webhook outbox in the transaction that settled
 * the spend which crossed the threshold: exactly {@code type, user_id, project_id, current_cost,
 * threshold, period}. {@code current_cost} is the period's settled spend when the alert fired.
 */
public final class CostAlerts {
    public static final String EVENT = "cost_alert";

    private final WebhookOutbox outbox;
    private final ObjectMapper mapper;

    public CostAlerts(WebhookOutbox outbox, ObjectMapper mapper) {
        this.outbox = outbox;
        this.mapper = mapper;
    }

    void enqueue(Connection c, BudgetLedger.Crossing crossing, Attribution attribution) throws SQLException {
        BudgetScope s = crossing.scope();
        ObjectNode body = mapper.createObjectNode();
        body.put("type", EVENT);
        body.put("user_id", switch (s.type()) {
            case BudgetScope.USER -> s.userId();
            case BudgetScope.KEY -> attribution == null ? null : attribution.userId();
            default -> null;
        });
        body.put("project_id", s.projectId() != null ? s.projectId()
                : BudgetScope.KEY.equals(s.type()) && attribution != null ? attribution.projectId() : null);
        body.put("current_cost", Cost.rendered(crossing.spent()));
        body.put("threshold", Cost.rendered(crossing.threshold()));
        body.put("period", s.period().wireName());
        try {
            outbox.enqueue(c, EVENT, mapper.writeValueAsString(body), null);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
