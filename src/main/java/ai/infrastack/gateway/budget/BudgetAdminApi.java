package ai.infrastack.gateway.budget;

import ai.infrastack.gateway.auth.Caller;
import ai.infrastack.gateway.core.Cost;
import ai.infrastack.gateway.core.ErrorType;
import ai.infrastack.gateway.core.ExchangeKeys;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.core.AdminJson;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code /api/v1/budgets}: the master key sets (POST) and removes (DELETE /{id}) period budgets;
 * GET shows limit, spent, reserved, remaining, period and reset time — every budget to the master
 * key, a key's own (its key, user and project) to any other key.
 */
public final class BudgetAdminApi {
    private static final Logger LOG = LoggerFactory.getLogger(BudgetAdminApi.class);

    private final BudgetLedger ledger;
    private final BudgetLimits limits;
    private final ObjectMapper mapper;

    public BudgetAdminApi(BudgetLedger ledger, BudgetLimits limits, ObjectMapper mapper) {
        this.ledger = ledger;
        this.limits = limits;
        this.mapper = mapper;
    }

    /** POST /api/v1/budgets {key_id | user_id [+ project_id] | project_id, period, limit, alert_thresholds}. */
    public void set(Exchange exchange) {
        requireAdmin(exchange);
        JsonNode body = AdminJson.object(mapper, exchange.getMessage().getBody(byte[].class),
                "{\"project_id\": ..., \"period\": \"day\", \"limit\": 10.0}");
        BudgetScope scope = scope(body);
        JsonNode limit = body.get("limit");
        if (limit == null || !limit.isNumber() || limit.decimalValue().signum() < 0) {
            throw GatewayException.invalid("limit", "'limit' must be a non-negative number of USD");
        }
        List<BigDecimal> thresholds = new ArrayList<>();
        JsonNode t = body.get("alert_thresholds");
        if (t != null && !t.isNull()) {
            if (!t.isArray()) {
                throw GatewayException.invalid("alert_thresholds", "'alert_thresholds' must be an array of USD amounts");
            }
            for (JsonNode v : t) {
                if (!v.isNumber() || v.decimalValue().signum() <= 0) {
                    throw GatewayException.invalid("alert_thresholds", "'alert_thresholds' must hold positive USD amounts");
                }
                thresholds.add(v.decimalValue());
            }
        }
        String id = AdminJson.store("budget", LOG, () -> ledger.setLimit(scope, limit.decimalValue(), thresholds));
        limits.changed();
        LOG.info("Budget {} set: {} ${}", id, scope.describe(), limit.decimalValue().toPlainString());
        BudgetLedger.Status status = AdminJson.store("budget", LOG, () -> ledger.status(null)).stream().filter(s -> s.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalStateException("budget " + id + " vanished"));
        AdminJson.respond(exchange, mapper, 200, render(status));
    }

    /** GET /api/v1/budgets */
    public void list(Exchange exchange) {
        Caller caller = exchange.getProperty(ExchangeKeys.CALLER, Caller.class);
        Attribution only = caller.admin() ? null : new Attribution(caller.keyId(), caller.userId(), caller.projectId());
        ObjectNode out = mapper.createObjectNode();
        out.put("object", "list");
        ArrayNode data = out.putArray("data");
        AdminJson.store("budget", LOG, () -> ledger.status(only)).forEach(s -> data.add(render(s)));
        AdminJson.respond(exchange, mapper, 200, out);
    }

    /** DELETE /api/v1/budgets/{id} */
    public void delete(Exchange exchange) {
        requireAdmin(exchange);
        String id = exchange.getMessage().getHeader("id", String.class);
        if (!AdminJson.store("budget", LOG, () -> ledger.deleteLimit(id))) {
            throw GatewayException.of(ErrorType.NOT_FOUND, "No budget with id '" + id + "'").param("id").code("budget_not_found").build();
        }
        limits.changed();
        AdminJson.respond(exchange, mapper, 200, mapper.createObjectNode().put("id", id).put("object", "budget").put("deleted", true));
    }

    private ObjectNode render(BudgetLedger.Status s) {
        ObjectNode o = mapper.createObjectNode();
        o.put("id", s.id());
        o.put("object", "budget");
        o.put("scope", s.scope().type());
        o.put("key_id", BudgetScope.KEY.equals(s.scope().type()) ? s.scope().id() : null);
        o.put("user_id", s.scope().userId());
        o.put("project_id", s.scope().projectId());
        o.put("period", s.scope().period().wireName());
        o.put("limit", Cost.rendered(s.limit()));
        o.put("spent", Cost.rendered(s.spent()));
        o.put("reserved", Cost.rendered(s.reserved()));
        o.put("remaining", Cost.rendered(s.limit().subtract(s.spent()).subtract(s.reserved()).max(BigDecimal.ZERO)));
        ArrayNode thresholds = o.putArray("alert_thresholds");
        s.thresholds().forEach(v -> thresholds.add(Cost.rendered(v)));
        o.put("period_start", s.periodStart().toString());
        o.put("resets_at", s.reset().toString());
        o.put("reset_time", s.reset().getEpochSecond());
        return o;
    }

    private static BudgetScope scope(JsonNode body) {
        Period period = Period.parse(body.path("period").asText(""));
        if (period == null) {
            throw GatewayException.invalid("period", "'period' must be 'day' or 'month'");
        }
        String key = text(body, "key_id");
        String user = text(body, "user_id");
        String project = text(body, "project_id");
        if (key != null && user == null && project == null) {
            return new BudgetScope(BudgetScope.KEY, key, period);
        }
        if (key == null && user != null) {
            return new BudgetScope(BudgetScope.USER, BudgetScope.userScopeId(project, user), period);
        }
        if (key == null && project != null) {
            return new BudgetScope(BudgetScope.PROJECT, project, period);
        }
        throw GatewayException.invalid(null, "Name what the budget is for: 'key_id', 'project_id', or 'user_id' (with its 'project_id' if it has one)");
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() || v.asText().isBlank() || v.asText().contains("/")) {
            throw GatewayException.invalid(field, "'" + field + "' must be a non-empty string without '/'");
        }
        return v.asText();
    }

    private static void requireAdmin(Exchange exchange) {
        Caller caller = exchange.getProperty(ExchangeKeys.CALLER, Caller.class);
        if (caller == null || !caller.admin()) {
            throw GatewayException.of(ErrorType.PERMISSION, "Setting budgets needs the master key").code("admin_only").build();
        }
    }
}
