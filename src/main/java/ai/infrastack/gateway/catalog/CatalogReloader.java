package ai.infrastack.gateway.catalog;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/** Timer step: picks up edited, added or removed pricing files without a restart. */
public final class CatalogReloader implements Processor {
    private final ModelCatalog catalog;

    public CatalogReloader(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    @Override
    public void process(Exchange exchange) {
        catalog.reloadIfChanged();
    }
}
