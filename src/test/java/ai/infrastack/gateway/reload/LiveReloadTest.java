package ai.infrastack.gateway.reload;

import ai.infrastack.gateway.support.LogCapture;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Integration teams edit route and pricing files while the gateway runs: edits take effect without
 * a restart, and a broken file is rejected while its previous version keeps serving.
 */
class LiveReloadTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;
    private Path routes;
    private Path pricing;
    private RunningGateway gateway;

    @BeforeEach
    void start() throws IOException {
        routes = tmp.resolve("routes");
        pricing = tmp.resolve("pricing");
        copyTree(Path.of("routes"), routes);
        copyTree(Path.of("pricing"), pricing);
        gateway = RunningGateway.start(Map.of(
                "gateway.routes-dir", routes.toString(),
                "gateway.pricing-dir", pricing.toString(),
                "gateway.pricing.reload-interval-ms", "200"));
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void editing_a_price_changes_the_next_responses_cost() throws Exception {
        BigDecimal before = inputCost("gpt-4o");
        Path file = pricing.resolve("openai.yaml");
        String yaml = Files.readString(file);
        String priced = yaml.replaceFirst("(?s)(- id: gpt-4o\\n.*?input: )2\\.50?", "$15.00");
        assertTrue(!priced.equals(yaml), "the test found gpt-4o's input price to edit");
        Files.writeString(file, priced);

        BigDecimal after = await(() -> inputCost("gpt-4o"), c -> c.compareTo(before) != 0);
        assertEquals(0, before.multiply(BigDecimal.valueOf(2)).compareTo(after), before + " doubled is " + after);
    }

    @Test
    void a_broken_pricing_file_is_rejected_and_its_previous_version_keeps_serving() throws Exception {
        BigDecimal before = inputCost("gpt-4o");
        Files.writeString(pricing.resolve("openai.yaml"), "provider: openai\nmodels:\n  - id: gpt-4o\n    pricing: {input: \"free\"}\n");
        Thread.sleep(1500); // several reload periods
        assertEquals(0, before.compareTo(inputCost("gpt-4o")));
    }

    @Test
    void a_route_file_that_cannot_start_is_rejected_and_the_previous_route_keeps_serving() throws Exception {
        Files.writeString(routes.resolve("providers/openai.yaml"), """
                - route:
                    id: provider-openai
                    from:
                      uri: direct:provider-openai
                      steps:
                        - to:
                            uri: nosuchcomponent:foo
                """);
        await(this::rejectedReloads, n -> n >= 1);
        assertEquals(200, chat("gpt-4o").statusCode());
        long rejected = rejectedReloads();
        Files.writeString(routes.resolve("providers/openai.yaml"), "- route: [broken yaml");
        await(this::rejectedReloads, n -> n > rejected);
        assertEquals(200, chat("gpt-4o").statusCode());
    }

    @ParameterizedTest
    @CsvSource({"wireFormat, opnai", "toolCallIds, alnum10", "streamOptions, never"})
    void a_provider_file_with_an_unknown_value_is_refused_at_load_naming_the_file_and_parameter(String parameter, String value)
            throws Exception {
        try (LogCapture log = LogCapture.attach()) {
            String mistral = Files.readString(routes.resolve("providers/mistral.yaml"));
            String broken = mistral.contains("name: " + parameter)
                    ? mistral.replaceFirst("(name: " + parameter + "\\n\\s+value: )\\S+", "$1" + value)
                    : mistral + "      - name: " + parameter + "\n        value: " + value + "\n";
            assertTrue(broken.contains(value), broken);
            Files.writeString(routes.resolve("providers/mistral.yaml"), broken);
            await(this::rejectedReloads, n -> n >= 1);
            String line = await(() -> log.lines().stream().filter(m -> m.contains("Rejected route file")).findFirst().orElse(""),
                    m -> !m.isEmpty());
            assertTrue(line.contains("providers/mistral.yaml"), line);
            assertTrue(line.contains("'" + parameter + "'") && line.contains(value), line);
            assertEquals(200, chat("mistral-large").statusCode(), "the previous version keeps serving");
        }
    }

    @Test
    void a_provider_file_missing_a_parameter_is_refused_at_load() throws Exception {
        Files.writeString(routes.resolve("providers/mistral.yaml"), """
                - templatedRoute:
                    routeTemplateRef: provider
                    routeId: provider-mistral
                    parameters:
                      - name: name
                        value: mistral
                      - name: defaultBaseUrl
                        value: https://api.mistral.ai/v1
                """);
        await(this::rejectedReloads, n -> n >= 1);
        assertEquals(200, chat("mistral-large").statusCode(), "the previous version keeps serving");
    }

    @Test
    void a_provider_added_as_a_route_file_and_a_pricing_file_serves_without_restart() throws Exception {
        Files.writeString(pricing.resolve("groq.yaml"), """
                provider: groq
                models:
                  - id: llama-3.3-70b-versatile
                    upstream: llama-3.3-70b-versatile
                    pricing: {input: 0.59, output: 0.79}
                    context_window: 128000
                    max_output_tokens: 32768
                    capabilities: {vision: false, function_calling: true, streaming: true}
                """);
        Files.writeString(routes.resolve("providers/groq.yaml"), """
                # Groq: OpenAI-compatible, no Java needed.
                - templatedRoute:
                    routeTemplateRef: provider
                    routeId: provider-groq
                    parameters:
                      - name: name
                        value: groq
                      - name: wireFormat
                        value: openai
                      - name: defaultBaseUrl
                        value: https://api.groq.com/openai/v1
                """);
        HttpResponse<String> r = await(() -> chat("llama-3.3-70b-versatile"), resp -> resp.statusCode() == 200);
        JsonNode body = JSON.readTree(r.body());
        assertEquals("groq", body.get("provider").asText());
        assertTrue(body.get("cost").get("total_cost").decimalValue().signum() > 0);
    }

    private long rejectedReloads() {
        return gateway.context().getRegistry().lookupByNameAndType("routeReloadStrategy", SafeRouteReloadStrategy.class).rejectedReloads();
    }

    private HttpResponse<String> chat(String model) {
        return gateway.post("/chat/completions",
                "{\"model\": \"" + model + "\", \"messages\": [{\"role\": \"user\", \"content\": \"one two three\"}]}",
                RunningGateway.MASTER_KEY);
    }

    private BigDecimal inputCost(String model) throws IOException {
        HttpResponse<String> r = chat(model);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).get("cost").get("input_cost").decimalValue();
    }

    interface Probe<T> {
        T get() throws Exception;
    }

    private static <T> T await(Probe<T> probe, Predicate<T> done) throws Exception {
        long deadline = System.nanoTime() + 15_000_000_000L;
        T value = probe.get();
        while (!done.test(value) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            value = probe.get();
        }
        assertTrue(done.test(value), "condition not reached in 15 s; last value: " + value);
        return value;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
