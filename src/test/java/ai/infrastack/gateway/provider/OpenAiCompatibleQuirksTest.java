package ai.infrastack.gateway.provider;

import ai.infrastack.gateway.provider.openai.OpenAiWireTranslator;
import ai.infrastack.gateway.core.GatewayException;
import ai.infrastack.gateway.catalog.ModelCatalog;
import ai.infrastack.gateway.catalog.ModelSpec;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The route-declared quirks of OpenAI-compatible hosts (Mistral: {@code seed}→{@code random_seed}
 * and nine-character tool-call ids, shared/reference/providers.md §5.2) and the provider target
 * resolution by naming convention (env {@code <PROVIDER or envPrefix>_API_KEY}/{@code _BASE_URL}).
 */
class OpenAiCompatibleQuirksTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final OpenAiWireTranslator TRANSLATOR = new OpenAiWireTranslator();
    private static final ProviderQuirks MISTRAL = ProviderQuirks.of("seed=random_seed", "alnum9");
    private static ModelSpec mistralLarge;

    @BeforeAll
    static void loadCatalog() {
        mistralLarge = ModelCatalog.load(Path.of("pricing")).find("mistral-large").orElseThrow();
    }

    private static ObjectNode request(String text) {
        try {
            return (ObjectNode) JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** A conversation replaying an OpenAI-style and an Anthropic-style tool call, each answered. */
    private static ObjectNode replay(String extraFields) {
        return request("""
                {"model": "mistral-large",
                 "messages": [
                   {"role": "user", "content": "weather and time?"},
                   {"role": "assistant", "content": null, "tool_calls": [
                      {"id": "call_Xy12abcdefghijklmnopqrstu", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}},
                      {"id": "toolu_01A09q90qw90lq917835lq9", "type": "function", "function": {"name": "get_time", "arguments": "{}"}},
                      {"id": "D681PevKs", "type": "function", "function": {"name": "get_date", "arguments": "{}"}}]},
                   {"role": "tool", "tool_call_id": "call_Xy12abcdefghijklmnopqrstu", "content": "sunny"},
                   {"role": "tool", "tool_call_id": "toolu_01A09q90qw90lq917835lq9", "content": "noon"},
                   {"role": "tool", "tool_call_id": "D681PevKs", "content": "today"}]%s}""".formatted(
                extraFields.isEmpty() ? "" : ", " + extraFields));
    }

    private static ObjectNode mistral(ObjectNode request) {
        return TRANSLATOR.toUpstream(request, mistralLarge, MISTRAL, new ArrayList<>());
    }

    private static boolean nineAlnum(String id) {
        return id.matches("[A-Za-z0-9]{9}");
    }

    // ---- quirks ---------------------------------------------------------------------------------

    @Test
    void seed_is_renamed_to_random_seed() {
        ObjectNode out = mistral(replay("\"seed\": 42"));
        assertFalse(out.has("seed"), out.toString());
        assertEquals(42, out.get("random_seed").asInt());
    }

    @Test
    void a_request_without_seed_gets_no_random_seed() {
        assertFalse(mistral(replay("")).has("random_seed"));
    }

    @Test
    void openai_and_anthropic_tool_call_ids_are_rewritten_to_nine_letters_or_digits() {
        JsonNode calls = mistral(replay("")).get("messages").get(1).get("tool_calls");
        String openAiStyle = calls.get(0).get("id").asText();
        String anthropicStyle = calls.get(1).get("id").asText();
        assertTrue(nineAlnum(openAiStyle), openAiStyle);
        assertTrue(nineAlnum(anthropicStyle), anthropicStyle);
        assertNotEquals(openAiStyle, anthropicStyle, "two calls must not collapse into one id");
    }

    @Test
    void each_tool_result_carries_the_same_rewritten_id_as_its_call() {
        JsonNode messages = mistral(replay("")).get("messages");
        JsonNode calls = messages.get(1).get("tool_calls");
        for (int i = 0; i < 3; i++) {
            String callId = calls.get(i).get("id").asText();
            String resultId = messages.get(2 + i).get("tool_call_id").asText();
            assertTrue(nineAlnum(resultId), resultId);
            assertEquals(callId, resultId, "tool result " + i + " must answer its call");
        }
    }

    @Test
    void the_same_id_maps_to_the_same_nine_characters_in_a_later_request() {
        String first = mistral(replay("")).get("messages").get(1).get("tool_calls").get(0).get("id").asText();
        // The next turn arrives as a new request, possibly with only the tool result still carrying the id.
        ObjectNode later = request("""
                {"model": "mistral-large", "messages": [
                   {"role": "tool", "tool_call_id": "call_Xy12abcdefghijklmnopqrstu", "content": "sunny"}]}""");
        assertEquals(first, mistral(later).get("messages").get(0).get("tool_call_id").asText());
    }

    @Test
    void an_id_that_already_fits_is_kept() {
        JsonNode messages = mistral(replay("")).get("messages");
        assertEquals("D681PevKs", messages.get(1).get("tool_calls").get(2).get("id").asText());
        assertEquals("D681PevKs", messages.get(4).get("tool_call_id").asText());
    }

    @ParameterizedTest
    @ValueSource(strings = {"call_1234", "abcdefgh", "abcdefghij", "abcd-fghi", "abcdéfghi"})
    void ids_of_the_wrong_length_or_alphabet_are_rewritten(String id) {
        String mapped = ToolCallIds.nineChar(id);
        assertTrue(nineAlnum(mapped), id + " → " + mapped);
        assertNotEquals(id, mapped);
    }

    @Test
    void the_client_request_object_is_not_mutated() {
        ObjectNode request = replay("\"seed\": 7");
        ObjectNode before = request.deepCopy();
        mistral(request);
        assertEquals(before, request, "a fallback to another provider must see the original ids and seed");
    }

    @Test
    void other_parameters_pass_through_beside_the_quirks() {
        ObjectNode out = mistral(replay("\"temperature\": 0.3, \"max_tokens\": 50, \"stop\": [\"END\"]"));
        assertEquals(0.3, out.get("temperature").asDouble());
        assertEquals(50, out.get("max_tokens").asInt());
        assertEquals("mistral-large-2411", out.get("model").asText());
        assertEquals(false, out.get("stream").asBoolean(true));
    }

    @Test
    void without_quirks_the_request_is_unchanged_apart_from_the_usual() {
        ObjectNode request = replay("\"seed\": 42, \"stream_options\": {\"include_usage\": true}");
        ObjectNode out = TRANSLATOR.toUpstream(request, mistralLarge, ProviderQuirks.NONE, new ArrayList<>());
        assertEquals(42, out.get("seed").asInt());
        assertFalse(out.has("random_seed"));
        assertEquals(request.get("messages"), out.get("messages"), "ids untouched without the alnum9 quirk");
        assertEquals("mistral-large-2411", out.get("model").asText(), "usual: the catalog's upstream model");
        assertEquals(false, out.get("stream").asBoolean(true), "usual: stream off");
        assertFalse(out.has("stream_options"), "usual: stream_options removed");
    }

    @Test
    void blank_settings_are_no_quirks() {
        assertEquals(ProviderQuirks.NONE, ProviderQuirks.of(null, null));
        assertEquals(ProviderQuirks.NONE, ProviderQuirks.of("  ", null));
    }

    @Test
    void a_route_setting_is_parsed_into_renames_and_the_id_rule() {
        ProviderQuirks q = ProviderQuirks.of(" seed = random_seed , user=end_user", "alnum9");
        assertEquals(Map.of("seed", "random_seed", "user", "end_user"), q.renamedParams());
        assertTrue(q.nineCharToolCallIds());
        assertFalse(ProviderQuirks.of("seed=random_seed", null).nineCharToolCallIds());
        assertFalse(ProviderQuirks.of(null, "keep").nineCharToolCallIds(), "only alnum9 turns the id rule on");
    }

    @ParameterizedTest
    @ValueSource(strings = {"seed", "seed=", "=random_seed", "seed=random_seed,oops"})
    void a_malformed_rename_entry_is_rejected(String setting) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ProviderQuirks.of(setting, null));
        assertTrue(e.getMessage().contains("name=newName"), e.getMessage());
    }

    // ---- provider targets -----------------------------------------------------------------------

    private static ProviderTargets targets(Map<String, String> settings, boolean sandbox, BiFunction<String, String, String> sandboxUrl) {
        return new ProviderTargets(settings::get, sandbox, sandboxUrl);
    }

    @Test
    void the_meta_provider_reads_the_together_env_variables() {
        ProviderTargets t = targets(Map.of("TOGETHER_API_KEY", "tg-key", "TOGETHER_BASE_URL", "https://together.example/v1",
                "META_API_KEY", "wrong-key", "META_BASE_URL", "https://wrong.example"), false, null);
        ProviderTarget meta = t.target(ProviderDeclaration.of("meta", "openai", "https://api.together.xyz/v1", "TOGETHER"));
        assertEquals("tg-key", meta.apiKey());
        assertEquals("https://together.example/v1", meta.baseUrl());
        assertEquals("meta", meta.provider());
        assertFalse(meta.sandbox());
    }

    @Test
    void without_an_env_prefix_the_provider_name_is_the_prefix() {
        ProviderTargets t = targets(Map.of("MISTRAL_API_KEY", "ms-key"), false, null);
        ProviderTarget mistral = t.target(ProviderDeclaration.of("mistral", "openai", "https://api.mistral.ai/v1", null));
        assertEquals("ms-key", mistral.apiKey());
        assertEquals("https://api.mistral.ai/v1", mistral.baseUrl(), "the route's default when nothing is set");
    }

    @Test
    void the_base_url_property_beats_the_env_variable() {
        ProviderTargets t = targets(Map.of("gateway.provider.meta.base-url", "https://property.example/v1",
                "TOGETHER_BASE_URL", "https://env.example/v1", "TOGETHER_API_KEY", "k"), false, null);
        assertEquals("https://property.example/v1", t.target(ProviderDeclaration.of("meta", "openai", "https://api.together.xyz/v1", "TOGETHER")).baseUrl());
    }

    @Test
    void the_api_key_property_beats_the_env_variable() {
        ProviderTargets t = targets(Map.of("gateway.provider.openai.api-key", "from-property", "OPENAI_API_KEY", "from-env"), false, null);
        assertEquals("from-property", t.target(ProviderDeclaration.of("openai", "openai", "https://api.openai.com/v1", null)).apiKey());
    }

    @Test
    void in_sandbox_mode_a_keyless_provider_goes_to_the_sandbox() {
        List<String> asked = new ArrayList<>();
        ProviderTargets t = targets(Map.of(), true, (provider, format) -> {
            asked.add(provider + "/" + format);
            return "http://localhost:9999/sandbox/" + provider;
        });
        ProviderTarget google = t.target(ProviderDeclaration.of("google", "gemini", "https://generativelanguage.googleapis.com", null));
        assertTrue(google.sandbox());
        assertEquals("http://localhost:9999/sandbox/google", google.baseUrl());
        assertEquals(List.of("google/gemini"), asked, "the sandbox URL is asked for with the provider and its wire format");
        assertFalse(google.apiKey().isBlank(), "a placeholder key, so auth headers are still well-formed");
    }

    @Test
    void in_sandbox_mode_a_provider_with_a_key_goes_to_its_real_base_url() {
        AtomicInteger asked = new AtomicInteger();
        ProviderTargets t = targets(Map.of("COHERE_API_KEY", "co-real"), true, (p, f) -> {
            asked.incrementAndGet();
            return "http://localhost:9999/sandbox/" + p;
        });
        ProviderTarget cohere = t.target(ProviderDeclaration.of("cohere", "cohere", "https://api.cohere.com", null));
        assertFalse(cohere.sandbox());
        assertEquals("https://api.cohere.com", cohere.baseUrl());
        assertEquals("co-real", cohere.apiKey());
        assertEquals(0, asked.get());
        assertTrue(t.sandboxMode());
    }

    @Test
    void outside_sandbox_mode_a_keyless_provider_still_goes_to_the_real_vendor() {
        ProviderTargets t = targets(Map.of(), false, (p, f) -> "http://localhost:9999/sandbox/" + p);
        ProviderTarget openai = t.target(ProviderDeclaration.of("openai", "openai", "https://api.openai.com/v1", null));
        assertFalse(openai.sandbox());
        assertEquals("https://api.openai.com/v1", openai.baseUrl());
    }

    @Test
    void a_trailing_slash_on_a_base_url_is_removed() {
        ProviderTargets t = targets(Map.of("OPENAI_BASE_URL", "https://proxy.example/v1/", "ANTHROPIC_API_KEY", "k"), false, null);
        assertEquals("https://proxy.example/v1", t.target(ProviderDeclaration.of("openai", "openai", "https://api.openai.com/v1", null)).baseUrl());
        assertEquals("https://api.anthropic.com", t.target(ProviderDeclaration.of("anthropic", "anthropic", "https://api.anthropic.com/", null)).baseUrl(),
                "the route default too");
    }

    @Test
    void blank_settings_count_as_unset() {
        ProviderTargets t = targets(Map.of("gateway.provider.mistral.base-url", "  ", "MISTRAL_BASE_URL", "https://env.example/v1",
                "MISTRAL_API_KEY", " ms-key "), false, null);
        ProviderTarget m = t.target(ProviderDeclaration.of("mistral", "openai", "https://api.mistral.ai/v1", null));
        assertEquals("https://env.example/v1", m.baseUrl());
        assertEquals("ms-key", m.apiKey());
    }

    @Test
    void a_provider_without_any_base_url_is_a_configuration_error() {
        ProviderTargets t = targets(Map.of(), false, null);
        assertThrows(GatewayException.class, () -> t.target(ProviderDeclaration.of("nowhere", "openai", null, null)));
    }

    @Test
    void a_target_is_resolved_once_per_version_of_the_provider_file() {
        Map<String, String> settings = new HashMap<>(Map.of("OPENAI_API_KEY", "first"));
        ProviderTargets t = targets(settings, false, null);
        ProviderDeclaration loaded = ProviderDeclaration.of("openai", "openai", "https://api.openai.com/v1", null);
        assertEquals("first", t.target(loaded).apiKey());
        settings.put("OPENAI_API_KEY", "second");
        assertEquals("first", t.target(loaded).apiKey(), "not looked up again per request");
        ProviderDeclaration reloaded = ProviderDeclaration.of("openai", "openai", "https://api.openai.com/v1", null);
        assertEquals("second", t.target(reloaded).apiKey(), "a reloaded provider file is resolved again");
        assertEquals(List.of("openai"), List.copyOf(t.resolved().keySet()));
    }
}
