package ai.infrastack.gateway.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Reads one pricing file into model specs, rejecting a file that is not a valid catalog. */
final class CatalogParser {
    private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory());

    List<ModelSpec> parse(Path file) throws IOException {
        JsonNode root = yaml.readTree(file.toFile());
        if (root == null || !root.isObject()) {
            throw new IOException("not a YAML mapping");
        }
        String provider = required(root, "provider").toLowerCase(Locale.ROOT);
        JsonNode models = root.path("models");
        if (!models.isArray()) {
            throw new IOException("'models' must be a list");
        }
        List<ModelSpec> specs = new ArrayList<>();
        for (JsonNode m : models) {
            specs.add(model(provider, m));
        }
        return specs;
    }

    private ModelSpec model(String provider, JsonNode m) throws IOException {
        String id = required(m, "id").toLowerCase(Locale.ROOT);
        List<String> aliases = new ArrayList<>();
        for (JsonNode a : m.path("aliases")) {
            aliases.add(a.asText().toLowerCase(Locale.ROOT));
        }
        JsonNode caps = m.path("capabilities");
        Set<String> unsupported = new HashSet<>();
        for (JsonNode p : m.path("unsupported_params")) {
            unsupported.add(p.asText());
        }
        return new ModelSpec(id, provider,
                m.path("display_name").asText(id),
                m.path("upstream").asText(id),
                List.copyOf(aliases),
                tiers(id, m.path("pricing")),
                m.path("context_window").asLong(0),
                m.path("max_output_tokens").asLong(4096),
                caps.path("vision").asBoolean(false),
                caps.path("function_calling").asBoolean(false),
                caps.path("streaming").asBoolean(true),
                m.path("category").asText("general"),
                m.path("tier").asText("standard"),
                m.path("avg_latency_ms").asLong(1000),
                Set.copyOf(unsupported),
                m.hasNonNull("max_tokens_param") ? m.get("max_tokens_param").asText() : "max_tokens",
                m.path("default_max_tokens").asLong(Math.min(m.path("max_output_tokens").asLong(4096), 8192)),
                m.path("quality").asDouble(0.5));
    }

    private static List<PriceTier> tiers(String id, JsonNode pricing) throws IOException {
        if (pricing.isMissingNode() || pricing.isNull()) {
            return List.of();
        }
        List<PriceTier> tiers = new ArrayList<>();
        PriceTier base = tier(id, 0, pricing, null);
        tiers.add(base);
        for (JsonNode t : pricing.path("tiers")) {
            long above = t.path("above_prompt_tokens").asLong(-1);
            if (above <= 0) {
                throw new IOException(id + ": a price tier needs above_prompt_tokens > 0");
            }
            tiers.add(tier(id, above, t, base));
        }
        tiers.sort((a, b) -> Long.compare(a.abovePromptTokens(), b.abovePromptTokens()));
        return List.copyOf(tiers);
    }

    private static PriceTier tier(String id, long above, JsonNode p, PriceTier base) throws IOException {
        BigDecimal input = price(id, p, "input", base == null ? null : base.input());
        BigDecimal output = price(id, p, "output", base == null ? null : base.output());
        if (input == null || output == null) {
            throw new IOException(id + ": pricing needs both input and output");
        }
        return new PriceTier(above, input, output,
                price(id, p, "cached_input", base == null ? null : base.cachedInput()),
                price(id, p, "cache_write", base == null ? null : base.cacheWrite()));
    }

    private static BigDecimal price(String id, JsonNode p, String field, BigDecimal fallback) throws IOException {
        JsonNode v = p.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber()) {
            throw new IOException(id + ": price '" + field + "' must be a number, got " + v);
        }
        BigDecimal d = v.decimalValue();
        if (d.signum() < 0) {
            throw new IOException(id + ": price '" + field + "' must not be negative");
        }
        return d;
    }

    private static String required(JsonNode node, String field) throws IOException {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new IOException("missing '" + field + "'");
        }
        return v.asText();
    }
}
