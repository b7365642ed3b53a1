package ai.infrastack.gateway.routing;

import ai.infrastack.gateway.catalog.ModelCatalog;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

import static org.apache.camel.support.CamelContextHelper.mandatoryLookup;

/** Binds the step that picks the model and so the provider route. */
public final class RoutingConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        context.getRegistry().bind("modelResolver", new ModelResolver(mandatoryLookup(context, "modelCatalog", ModelCatalog.class)));
    }
}
