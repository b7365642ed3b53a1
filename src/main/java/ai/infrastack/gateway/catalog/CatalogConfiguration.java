package ai.infrastack.gateway.catalog;

import ai.infrastack.gateway.core.Settings;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

import java.nio.file.Path;

/** Binds the model catalog read from the pricing folder, and the step that reloads it. */
public final class CatalogConfiguration implements CamelConfiguration {
    @Override
    public void configure(CamelContext context) throws Exception {
        ModelCatalog catalog = ModelCatalog.load(Path.of(Settings.of(context).require("gateway.pricing-dir")));
        context.getRegistry().bind("modelCatalog", catalog);
        context.getRegistry().bind("catalogReloader", new CatalogReloader(catalog));
    }
}
