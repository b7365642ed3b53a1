package ai.infrastack.gateway.cost;

import ai.infrastack.gateway.core.Settings;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

/** Binds the cost step, with the operator's markup and the price of a response-cache hit. */
public final class CostConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        context.getRegistry().bind("costCalculator", new CostCalculator(Settings.of(context).decimal("gateway.pricing.markup-percent"),
                Settings.of(context).decimal("gateway.cache.hit-price-percent")));
    }
}
