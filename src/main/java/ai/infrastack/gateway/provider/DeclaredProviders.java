package ai.infrastack.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The providers the route files declare — each {@code templatedRoute} of the provider template in
 * {@code routes/providers/} — read before the routes load, for what must be known at start-up
 * (whether any provider key is set, and so whether to start in sandbox mode). A provider file is
 * the one list of providers; nothing repeats it in Java.
 */
public final class DeclaredProviders {
    private static final Logger LOG = LoggerFactory.getLogger(DeclaredProviders.class);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private DeclaredProviders() {}

    /** Provider name → the prefix of its env variables ({@code <PREFIX>_API_KEY}). */
    public static Map<String, String> envPrefixes(Path routesDir) {
        Map<String, String> out = new TreeMap<>();
        Path dir = routesDir.resolve("providers");
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                read(f, out);
            }
        } catch (IOException e) {
            LOG.warn("Cannot list provider route files in {}: {}", dir, e.getMessage());
        }
        return out;
    }

    private static void read(Path file, Map<String, String> out) {
        try {
            JsonNode doc = YAML.readTree(file.toFile());
            for (JsonNode item : doc) {
                JsonNode templated = item.path("templatedRoute");
                String name = null;
                String prefix = null;
                for (JsonNode p : templated.path("parameters")) {
                    if ("name".equals(p.path("name").asText())) {
                        name = p.path("value").asText();
                    } else if ("envPrefix".equals(p.path("name").asText())) {
                        prefix = p.path("value").asText();
                    }
                }
                if (name != null && !name.isBlank()) {
                    out.put(name, prefix == null || prefix.isBlank() ? name.toUpperCase(Locale.ROOT).replace('-', '_') : prefix);
                }
            }
        } catch (IOException | RuntimeException e) {
            // The routes loader reports a broken file properly when it loads it.
            LOG.debug("Provider file {} could not be read ahead: {}", file, e.getMessage());
        }
    }
}
