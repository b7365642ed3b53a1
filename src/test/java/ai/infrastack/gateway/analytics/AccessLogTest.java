package ai.infrastack.gateway.analytics;

import ai.infrastack.gateway.support.LogCapture;
import ai.infrastack.gateway.support.PrometheusText;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The one-line structured access log: exactly one line per request with its id, model, provider,
 * status and cost, and never the prompt text; ENABLE_LOGGING=false turns it off.
 */
class AccessLogTest {
    private static final String ACCESS_LOGGER = "ai.infrastack.gateway.usage";
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern FIELD = Pattern.compile("(\\w+)=(\\S+)");
    /** Prompt text that must never reach a log line. */
    private static final String SECRET_PROMPT = "Tell me about the ultramarine-pangolin-4471 plan";

    private static HttpResponse<String> chat(RunningGateway gateway, String model, String text) {
        ObjectNode body = JSON.createObjectNode().put("model", model);
        body.putArray("messages").addObject().put("role", "user").put("content", text);
        return gateway.post("/chat/completions", body.toString(), RunningGateway.MASTER_KEY);
    }

    private static String requestId(HttpResponse<String> r) {
        String id = r.headers().firstValue("X-Request-Id").orElse(null);
        assertNotNull(id, "X-Request-Id on " + r.statusCode());
        return id;
    }

    private static List<String> accessLines(LogCapture capture) {
        return capture.lines().stream().filter(l -> l.startsWith(ACCESS_LOGGER + " request_id=")).toList();
    }

    /**
     * How many times the capture records one event of the access logger. LogCapture sits on every
     * logger config as well as the root, so an event may pass it more than once on its way up; a
     * probe logged on the same logger tells how often, and a line logged twice by the gateway then
     * still shows as twice that.
     */
    private static int copiesPerEvent(LogCapture capture) {
        String probe = "capture-probe-" + UUID.randomUUID();
        LoggerFactory.getLogger(ACCESS_LOGGER).info(probe);
        int copies = (int) capture.lines().stream().filter(l -> l.equals(ACCESS_LOGGER + " " + probe)).count();
        assertTrue(copies >= 1, "the capture sees the access logger");
        return copies;
    }

    private static Map<String, String> fields(String line) {
        Map<String, String> fields = new HashMap<>();
        Matcher m = FIELD.matcher(line.substring(ACCESS_LOGGER.length() + 1));
        while (m.find()) {
            fields.put(m.group(1), m.group(2));
        }
        return fields;
    }

    /**
     * Waits until the wire-tap's analytics route has finished {@code count} exchanges: the access
     * line, if any, is written by its last step, so nothing more is coming after this.
     */
    private static void awaitAnalytics(RunningGateway gateway, int count) throws Exception {
        String root = gateway.baseUrl().substring(0, gateway.baseUrl().indexOf("/api/v1"));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        double done = 0;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(root + "/metrics")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            done = PrometheusText.parse(r.body()).sum("camel_exchanges_succeeded_total", "routeId", "analytics");
            if (done >= count) {
                return;
            }
            Thread.sleep(50);
        }
        fail("the analytics route finished " + done + " of " + count + " exchanges");
    }

    @Test
    void writesOneLinePerRequestWithIdModelProviderStatusAndCostButNoPromptText() throws Exception {
        try (LogCapture capture = LogCapture.attach(); RunningGateway gateway = RunningGateway.start()) {
            HttpResponse<String> ok = chat(gateway, "gpt-4o", SECRET_PROMPT);
            assertEquals(200, ok.statusCode(), ok.body());
            HttpResponse<String> ok2 = chat(gateway, "claude-3-haiku", SECRET_PROMPT);
            assertEquals(200, ok2.statusCode(), ok2.body());
            HttpResponse<String> failed = chat(gateway, "gpt-4o", SECRET_PROMPT + " [sandbox:status=500]");
            assertEquals(502, failed.statusCode(), failed.body());
            HttpResponse<String> unknown = chat(gateway, "no-such-model-xyz", SECRET_PROMPT);
            assertEquals(404, unknown.statusCode(), unknown.body());
            awaitAnalytics(gateway, 4);

            int copies = copiesPerEvent(capture);
            List<String> lines = accessLines(capture);
            assertEquals(4 * copies, lines.size(), "one access line per request: " + lines);

            assertLine(lines, copies, ok, "gpt-4o", "openai");
            assertLine(lines, copies, ok2, "claude-3-haiku", "anthropic");
            Map<String, String> failure = assertLine(lines, copies, failed, "gpt-4o", "openai");
            assertEquals("provider_error", failure.get("error_type"), failure.toString());
            Map<String, String> notFound = assertLine(lines, copies, unknown, "-", "-");
            assertEquals("not_found_error", notFound.get("error_type"), notFound.toString());

            for (String line : capture.lines()) {
                assertFalse(line.contains("ultramarine-pangolin"), "prompt text in a log line: " + line);
                assertFalse(line.contains(RunningGateway.MASTER_KEY), "the key in a log line: " + line);
            }
        }
    }

    /** The one line of {@code response}'s request, checked against what the client was told. */
    private static Map<String, String> assertLine(List<String> lines, int copies, HttpResponse<String> response, String model,
            String provider) throws IOException {
        String id = requestId(response);
        List<String> mine = lines.stream().filter(l -> id.equals(fields(l).get("request_id"))).toList();
        assertEquals(copies, mine.size(), "exactly one access line for " + id + ": " + lines);
        Map<String, String> f = fields(mine.get(0));
        assertEquals(model, f.get("model"), mine.get(0));
        assertEquals(provider, f.get("provider"), mine.get(0));
        assertEquals(String.valueOf(response.statusCode()), f.get("status"), mine.get(0));
        assertNotNull(f.get("total_cost"), "total_cost field: " + mine.get(0));
        JsonNode cost = JSON.readTree(response.body()).path("cost").get("total_cost");
        if (cost != null) {
            assertEquals(0, cost.decimalValue().compareTo(new BigDecimal(f.get("total_cost"))),
                    "the cost the client saw: " + cost + " vs " + mine.get(0));
        } else {
            assertEquals("-", f.get("total_cost"), "no cost, none logged: " + mine.get(0));
        }
        return f;
    }

    @Test
    void writesNoAccessLineWhenLoggingIsDisabled() throws Exception {
        try (LogCapture capture = LogCapture.attach();
             RunningGateway gateway = RunningGateway.start(Map.of("gateway.access-log.enabled", "false"))) {
            HttpResponse<String> ok = chat(gateway, "gpt-4o", SECRET_PROMPT);
            assertEquals(200, ok.statusCode(), ok.body());
            HttpResponse<String> unknown = chat(gateway, "no-such-model-xyz", SECRET_PROMPT);
            assertEquals(404, unknown.statusCode(), unknown.body());
            awaitAnalytics(gateway, 2);

            copiesPerEvent(capture); // the capture does see the access logger: silence is the gateway's
            assertEquals(List.of(), accessLines(capture), "ENABLE_LOGGING=false: no access line");
            String id = requestId(ok);
            assertTrue(capture.lines().stream().noneMatch(l -> l.contains("request_id=" + id)), capture.lines().toString());
        }
    }
}
