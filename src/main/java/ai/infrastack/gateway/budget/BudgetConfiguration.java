package ai.infrastack.gateway.budget;

import ai.infrastack.gateway.core.Json;
import ai.infrastack.gateway.core.Settings;
import ai.infrastack.gateway.cost.CostCalculator;
import ai.infrastack.gateway.storage.Database;
import ai.infrastack.gateway.streaming.TokenEstimator;
import ai.infrastack.gateway.webhook.WebhookOutbox;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;

import java.time.Duration;

import static org.apache.camel.support.CamelContextHelper.mandatoryLookup;

/** Binds the budget steps (budgetGuard, budgetSettler) and the budgets API. */
public final class BudgetConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        Settings settings = Settings.of(context);
        Database database = mandatoryLookup(context, "gatewayDatabase", Database.class);
        ObjectMapper mapper = mandatoryLookup(context, Json.BEAN, ObjectMapper.class);
        WebhookOutbox outbox = mandatoryLookup(context, "webhookOutbox", WebhookOutbox.class);
        BudgetLedger ledger = new BudgetLedger(database.dataSource(),
                Duration.ofSeconds(settings.longValue("gateway.budget.reservation-ttl-seconds")),
                Math.max(1, settings.integer("gateway.database.pool-size") / 2), settings.longValue("gateway.budget.queue-timeout-ms"));
        BudgetLimits limits = new BudgetLimits(ledger, database.dataSource(),
                Duration.ofMillis(settings.longValue("gateway.budget.limits-refresh-ms")));
        WorstCaseEstimator estimator = new WorstCaseEstimator(new TokenEstimator(),
                mandatoryLookup(context, "costCalculator", CostCalculator.class),
                settings.decimal("gateway.budget.prompt-token-margin-percent"), settings.longValue("gateway.budget.tokens-per-image"));
        Registry r = context.getRegistry();
        BudgetGuard guard = new BudgetGuard(estimator, ledger, limits, settings.longValue("gateway.budget.min-output-tokens"));
        r.bind("budgetGuard", guard);
        r.bind("budgetRelease", guard.release());
        r.bind("budgetSettler", new BudgetSettler(ledger, new CostAlerts(outbox, mapper), outbox));
        r.bind("budgetAdminApi", new BudgetAdminApi(ledger, limits, mapper));
    }
}
