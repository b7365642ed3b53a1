package ai.infrastack.gateway.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The model catalog read from the real {@code pricing/} folder, and its live reload on a temp copy. */
class ModelCatalogTest {
    private static final Path REAL = Path.of("pricing");

    @TempDir
    Path dir;

    private ModelCatalog realCatalog;

    @BeforeEach
    void loadReal() {
        realCatalog = ModelCatalog.load(REAL);
    }

    private static ModelSpec get(ModelCatalog catalog, String name) {
        return catalog.find(name).orElseThrow(() -> new AssertionError("'" + name + "' not found"));
    }

    private static BigDecimal baseInput(ModelCatalog catalog, String name) {
        return get(catalog, name).tiers().get(0).input();
    }

    /** Every model id in the YAML files of a folder, read without the catalog code. */
    private static Set<String> yamlIds(Path folder) throws IOException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        Set<String> ids = new HashSet<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                for (JsonNode m : yaml.readTree(f.toFile()).path("models")) {
                    ids.add(m.path("id").asText());
                }
            }
        }
        return ids;
    }

    /** A temp copy of the real pricing folder, loaded. */
    private ModelCatalog copyAndLoad() throws IOException {
        try (Stream<Path> files = Files.list(REAL)) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        return ModelCatalog.load(dir);
    }

    /** Writes a file and moves its time forward, so a reload sees it even on coarse file-time clocks. */
    private static void write(Path file, String text) throws IOException {
        FileTime before = Files.exists(file) ? Files.getLastModifiedTime(file) : FileTime.fromMillis(0);
        Files.writeString(file, text);
        Files.setLastModifiedTime(file, FileTime.fromMillis(Math.max(before.toMillis(), System.currentTimeMillis()) + 10_000));
    }

    // ---- the real folder ------------------------------------------------------------------------

    @Test
    void loads_every_model_of_the_real_pricing_folder() throws IOException {
        Set<String> ids = realCatalog.models().stream().map(ModelSpec::id).collect(Collectors.toSet());
        assertEquals(yamlIds(REAL), ids);
        assertEquals(ids.size(), realCatalog.models().size(), "each model listed once");
    }

    @Test
    void finds_a_model_by_gateway_id() {
        ModelSpec m = get(realCatalog, "gpt-4o");
        assertEquals("gpt-4o", m.id());
        assertEquals("openai", m.provider());
        assertEquals(0, new BigDecimal("2.50").compareTo(m.tiers().get(0).input()));
    }

    @ParameterizedTest
    @CsvSource({
            "claude-3-5-sonnet, claude-3.5-sonnet",
            "claude-3-5-sonnet-20241022, claude-3.5-sonnet",
            "anthropic/claude-3-5-sonnet, claude-3.5-sonnet",
            "gpt-4o-2024-08-06, gpt-4o",
            "claude-3-opus-20240229, claude-3-opus"})
    void finds_a_model_by_alias(String alias, String id) {
        assertEquals(id, get(realCatalog, alias).id());
    }

    @ParameterizedTest
    @CsvSource({
            "openai/gpt-4o, gpt-4o",
            "anthropic/claude-3.5-sonnet, claude-3.5-sonnet",
            "openai/o1-preview, o1-preview"})
    void finds_a_model_by_its_provider_prefixed_id(String name, String id) {
        assertEquals(id, get(realCatalog, name).id());
    }

    @Test
    void provider_prefixed_id_works_without_being_listed_as_an_alias() throws IOException {
        write(dir.resolve("acme.yaml"), """
                provider: Acme
                models:
                  - id: Widget-1
                    pricing: { input: 1.00, output: 2.00 }
                """);
        ModelCatalog catalog = ModelCatalog.load(dir);
        assertEquals("widget-1", get(catalog, "acme/widget-1").id());
        assertEquals("acme", get(catalog, "ACME/Widget-1").provider());
    }

    @ParameterizedTest
    @CsvSource({
            "GPT-4O, gpt-4o",
            "Claude-3.5-Sonnet, claude-3.5-sonnet",
            "CLAUDE-3-5-SONNET-20241022, claude-3.5-sonnet",
            "OpenAI/GPT-4o, gpt-4o",
            "Anthropic/Claude-3-Haiku, claude-3-haiku"})
    void lookups_are_case_insensitive(String name, String id) {
        assertEquals(id, get(realCatalog, name).id());
    }

    @Test
    void unknown_and_null_names_are_not_found() {
        assertTrue(realCatalog.find("invalid-model").isEmpty());
        assertTrue(realCatalog.find("google/gpt-4o").isEmpty(), "the wrong provider prefix does not match");
        assertTrue(realCatalog.find(null).isEmpty());
    }

    @ParameterizedTest
    @CsvSource({
            "claude-3-opus, anthropic",
            "claude-3.5-sonnet, anthropic",
            "claude-3-haiku, anthropic",
            "gpt-4-turbo, openai",
            "gpt-4o, openai",
            "gpt-3.5-turbo, openai",
            "o1-preview, openai"})
    void every_spec_table_model_of_openai_and_anthropic_is_present(String id, String provider) {
        ModelSpec m = get(realCatalog, id);
        assertEquals(id, m.id());
        assertEquals(provider, m.provider());
        assertTrue(m.priced(), id + " has a price");
    }

    // ---- reload on a temp copy ------------------------------------------------------------------

    @Test
    void reload_without_changes_reports_no_change() throws IOException {
        ModelCatalog catalog = copyAndLoad();
        assertFalse(catalog.reloadIfChanged());
        assertEquals(realCatalog.models().size(), catalog.models().size());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "provider: openai\nmodels: [ {id: gpt-4o, pricing: {input: 9.99",          // not YAML
            "just a string",                                                           // not a mapping
            "provider: openai\nmodels: {id: gpt-4o}\n",                                // models not a list
            "models:\n  - id: gpt-4o\n    pricing: {input: 9.99, output: 1}\n",        // no provider
            "provider: openai\nmodels:\n  - id: gpt-4o\n    pricing: {input: 9.99}\n", // no output price
            "provider: openai\nmodels:\n  - id: gpt-4o\n    pricing: {input: -1, output: 1}\n",
            "provider: openai\nmodels:\n  - id: gpt-4o\n    pricing: {input: cheap, output: 1}\n",
            "provider: openai\nmodels:\n  - id: gpt-4o\n    pricing: {input: 1, output: 1, tiers: [{input: 2}]}\n"})
    void broken_file_is_rejected_and_its_previous_version_keeps_serving(String broken) throws IOException {
        ModelCatalog catalog = copyAndLoad();
        int before = catalog.models().size();
        write(dir.resolve("openai.yaml"), broken);

        assertFalse(catalog.reloadIfChanged(), "a rejected file changes nothing");
        assertEquals(before, catalog.models().size());
        assertEquals(0, new BigDecimal("2.50").compareTo(baseInput(catalog, "gpt-4o")), "the previous gpt-4o price keeps serving");
        assertEquals("gpt-4o", get(catalog, "gpt-4o-2024-08-06").id(), "aliases of the file keep serving too");
        assertEquals("claude-3.5-sonnet", get(catalog, "claude-3.5-sonnet").id(), "other files are untouched");

        // A fixed file is picked up again: the rejection is not sticky.
        String fixed = Files.readString(REAL.resolve("openai.yaml")).replace("- id: gpt-4o\n", "- id: gpt-4o-fixed\n");
        write(dir.resolve("openai.yaml"), fixed);
        assertTrue(catalog.reloadIfChanged());
        assertEquals("gpt-4o-fixed", get(catalog, "gpt-4o-fixed").id());
    }

    @Test
    void broken_new_file_is_rejected_without_touching_the_rest() throws IOException {
        ModelCatalog catalog = copyAndLoad();
        int before = catalog.models().size();
        write(dir.resolve("zz-broken.yaml"), "provider: zz\nmodels:\n  - id: zz-1\n    pricing: {output: 1}\n");
        assertFalse(catalog.reloadIfChanged());
        assertEquals(before, catalog.models().size());
        assertTrue(catalog.find("zz-1").isEmpty());
    }

    @Test
    void removed_file_models_disappear_on_reload() throws IOException {
        ModelCatalog catalog = copyAndLoad();
        assertTrue(catalog.find("claude-3.5-sonnet").isPresent());
        Files.delete(dir.resolve("anthropic.yaml"));

        assertTrue(catalog.reloadIfChanged());
        assertTrue(catalog.find("claude-3.5-sonnet").isEmpty(), "id gone");
        assertTrue(catalog.find("claude-3-5-sonnet").isEmpty(), "alias gone");
        assertTrue(catalog.find("anthropic/claude-3.5-sonnet").isEmpty(), "prefixed form gone");
        assertTrue(catalog.models().stream().noneMatch(m -> m.provider().equals("anthropic")), "no anthropic model listed");
        assertEquals("gpt-4o", get(catalog, "gpt-4o").id(), "other files keep serving");
    }

    @Test
    void edited_price_is_seen_after_reload_if_changed() throws IOException {
        ModelCatalog catalog = copyAndLoad();
        Path file = dir.resolve("openai.yaml");
        String text = Files.readString(file);
        int block = text.indexOf("- id: gpt-4o\n");
        int price = text.indexOf("input: 2.50", block);
        assertTrue(block >= 0 && price > block, "gpt-4o's input price is in the copy");
        write(file, text.substring(0, price) + "input: 2.75" + text.substring(price + "input: 2.50".length()));

        assertEquals(0, new BigDecimal("2.50").compareTo(baseInput(catalog, "gpt-4o")), "nothing changes before a reload");
        assertTrue(catalog.reloadIfChanged());
        assertEquals(0, new BigDecimal("2.75").compareTo(baseInput(catalog, "gpt-4o")), "the edited price");
        assertEquals(0, new BigDecimal("2.75").compareTo(baseInput(catalog, "openai/gpt-4o")), "also through the prefixed form");
        assertEquals(0, new BigDecimal("0.15").compareTo(baseInput(catalog, "gpt-4o-mini")), "gpt-4o-mini untouched");
    }

    @Test
    void added_file_models_appear_on_reload() throws IOException {
        ModelCatalog catalog = copyAndLoad();
        assertTrue(catalog.find("acme/widget-2").isEmpty());
        write(dir.resolve("acme.yml"), """
                provider: acme
                models:
                  - id: widget-2
                    aliases: [w2]
                    pricing: { input: 0.5, output: 1.5 }
                """);
        assertTrue(catalog.reloadIfChanged());
        assertEquals("widget-2", get(catalog, "w2").id());
        assertEquals("widget-2", get(catalog, "acme/widget-2").id());
    }
}
