package ai.infrastack.gateway.support;

import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.catalog.ModelSpec;
import ai.infrastack.gateway.provider.DeclaredProviders;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The providers the tests run over, derived from the route files (routes/providers/) and the
 * catalog (pricing/) — never a list in Java — each with one model that streams (and calls tools
 * when the provider has such a model). A provider file added to the repository joins every matrix.
 */
public final class ProviderMatrix {
    /** One provider and the model its scenarios use. */
    public record Entry(String provider, String model) {
        @Override
        public String toString() {
            return provider + " (" + model + ")";
        }
    }

    private ProviderMatrix() {}

    public static List<Entry> entries() {
        ModelCatalog catalog = ModelCatalog.load(Path.of("pricing"));
        List<Entry> out = new ArrayList<>();
        for (String provider : DeclaredProviders.envPrefixes(Path.of("routes")).keySet()) {
            catalog.models().stream()
                    .filter(m -> m.provider().equals(provider) && m.streaming())
                    .min(Comparator.comparing((ModelSpec m) -> !m.functionCalling()).thenComparing(ModelSpec::id))
                    .ifPresent(m -> out.add(new Entry(provider, m.id())));
        }
        return out;
    }
}
