package ai.infrastack.gateway.streaming;

import ai.infrastack.gateway.sandbox.RecordedRequest;
import ai.infrastack.gateway.sandbox.SandboxDirectives;
import ai.infrastack.gateway.sandbox.SandboxUpstreams;
import ai.infrastack.gateway.support.RunningGateway;
import ai.infrastack.gateway.support.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a streaming client sees on the wire, read line by line with plain java.net.http (and, for a
 * disconnect, a raw socket): chunks forwarded as they arrive, broken streams that end in one error
 * event and never in {@code [DONE]}, errors before the first token as ordinary JSON, and a client
 * that hangs up cancelling the upstream call while its partial usage is still recorded once.
 *
 * <p>OpenAI traffic goes to a sandbox of the test's own through {@link UpstreamTap}, a TCP relay
 * that sees when the gateway closes its upstream connection; the other providers use the gateway's
 * built-in sandbox.
 */
class StreamingBehaviourTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static SandboxUpstreams openAiUpstream;
    private static UpstreamTap tap;
    private static String database;
    private static RunningGateway gateway;

    @BeforeAll
    static void start() {
        openAiUpstream = SandboxUpstreams.start(0);
        tap = UpstreamTap.start(openAiUpstream.port());
        database = TestDatabases.freshH2();
        gateway = RunningGateway.start(Map.of(
                "gateway.database.url", database,
                "gateway.provider.openai.base-url", "http://127.0.0.1:" + tap.port() + "/openai/v1",
                "gateway.provider.openai.api-key", "sk-upstream-test-key"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        tap.close();
        openAiUpstream.close();
    }

    // ---- no buffering ------------------------------------------------------------------------------

    /**
     * The upstream sends its events up to and including the first with text, then holds the rest
     * until the test releases it ({@code firstContentFrame} is the index of the vendor's first event
     * with text: OpenAI sends a role-only event first, Anthropic message_start, content_block_start
     * and ping, Cohere message-start and content-start). The client must have that text while the
     * upstream is held — a gateway that buffered, or read ahead before writing, would hold it back.
     * No timing is assumed: only that what was sent arrives.
     */
    @ParameterizedTest
    @CsvSource({"gpt-4o, 1", "claude-3.5-sonnet, 3", "gemini-1.5-pro, 0", "llama-3.1-70b, 0", "mistral-large, 1",
            "command-r-plus, 2"})
    void each_chunk_reaches_the_client_as_soon_as_the_upstream_sends_it(String model, int firstContentFrame) throws Exception {
        String hold = "hold-" + UUID.randomUUID();
        String prompt = "say three short words " + SandboxDirectives.directive("hold", hold)
                + SandboxDirectives.directive("hold_after", firstContentFrame + 1);
        try (RawStream raw = RawStream.open(gateway, body(model, prompt))) {
            assertEquals(1, raw.readContentChunks(1), "the first text reached the client while the upstream held the rest");
            assertFalse(raw.seenDone(), "nothing after the held event was sent");
            openAiUpstream.release(hold);
            gateway.sandbox().release(hold);
            List<String> rest = raw.readToEnd();
            assertEquals("data: [DONE]", rest.get(rest.size() - 1), "the rest followed the release: " + rest);
            assertTrue(rest.stream().anyMatch(l -> l.contains("\"content\"")), "more text after the release: " + rest);
        }
    }

    @Test
    void event_stream_headers_and_request_id_come_before_the_first_chunk() throws Exception {
        HttpResponse<InputStream> response = HTTP.send(post(body("claude-3.5-sonnet", "Hello there [sandbox:chunk_delay=300]")),
                HttpResponse.BodyHandlers.ofInputStream());
        // The headers are here while the body has not been read: they cannot wait for the stream's end.
        String requestId = response.headers().firstValue("X-Request-Id").orElse(null);
        String contentType = response.headers().firstValue("Content-Type").orElse("");
        assertEquals(200, response.statusCode());
        assertNotNull(requestId, "X-Request-Id before the first chunk");
        assertTrue(requestId.startsWith("req_"), requestId);
        assertTrue(contentType.startsWith("text/event-stream"), "Content-Type: " + contentType);
        assertEquals("no-cache", response.headers().firstValue("Cache-Control").orElse(null));

        List<String> data = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.startsWith("data: ")) {
                    data.add(line.substring(6));
                }
            }
        }
        JsonNode first = JSON.readTree(data.get(0));
        assertEquals("chat.completion.chunk", first.get("object").asText());
        assertEquals("assistant", first.at("/choices/0/delta/role").asText());
        assertEquals("chatcmpl-" + requestId.substring(4), first.get("id").asText(), "chunk id derives from the request id");
    }

    // ---- endings -----------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"gpt-4o, openai, 3", "claude-3.5-sonnet, anthropic, 5", "gemini-1.5-pro, google, 3",
            "llama-3.1-70b, meta, 4", "mistral-large, mistral, 4", "command-r-plus, cohere, 5"})
    void an_upstream_error_mid_stream_becomes_one_error_event_and_no_done(String model, String provider, int errorAfter)
            throws Exception {
        Streamed s = stream(body(model, "Tell me about the sea and the sky and the wind [sandbox:error_after=" + errorAfter + "]"));

        assertEquals(200, s.status, "the stream had started");
        assertFalse(s.contentLines().isEmpty(), "some content came before the error: " + s.lines);
        assertBrokenStream(s, provider);
        JsonNode row = awaitRow(s.requestId);
        assertTrue(row.get("status").asInt() >= 500, "recorded as failed: " + row);
        assertEquals("provider_error", row.get("error_type").asText(), row.toString());
        assertTrue(row.get("streamed").asBoolean(), row.toString());
    }

    @ParameterizedTest
    @CsvSource({"gpt-4o, openai", "claude-3.5-sonnet, anthropic", "gemini-1.5-pro, google", "llama-3.1-70b, meta",
            "mistral-large, mistral", "command-r-plus, cohere"})
    void a_cut_upstream_connection_mid_stream_becomes_one_error_event_and_no_done(String model, String provider)
            throws Exception {
        Streamed s = stream(body(model, "Tell me about the sea and the sky and the wind [sandbox:fail_after=4]"));

        assertEquals(200, s.status, "the stream had started");
        assertFalse(s.contentLines().isEmpty(), "some content came before the cut: " + s.lines);
        assertBrokenStream(s, provider);
        JsonNode row = awaitRow(s.requestId);
        assertEquals(502, row.get("status").asInt(), row.toString());
        assertTrue(row.get("streamed").asBoolean(), row.toString());
    }

    @ParameterizedTest
    @CsvSource({"gpt-4o, openai", "claude-3.5-sonnet, anthropic", "gemini-1.5-pro, google", "llama-3.1-70b, meta",
            "mistral-large, mistral", "command-r-plus, cohere"})
    void an_upstream_error_before_the_first_token_is_an_ordinary_json_error(String model, String provider) throws Exception {
        HttpResponse<String> response = HTTP.send(post(body(model, "Hello [sandbox:status=503]")),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(503, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                "not an event stream: " + response.headers().map());
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertNotNull(error, response.body());
        assertEquals("provider_error", error.get("type").asText());
        assertEquals(provider, error.get("provider").asText());
        assertFalse(error.get("message").asText().isBlank());
        String requestId = response.headers().firstValue("X-Request-Id").orElseThrow();
        assertEquals(requestId, error.get("request_id").asText());
        assertFalse(response.body().contains("data:"), "no SSE framing: " + response.body());
    }

    // ---- client disconnect -------------------------------------------------------------------------

    /**
     * The upstream sends three words and then holds the rest until released, so its stream can only
     * end early if the gateway cancels it: the test needs no clock, only that what must happen does.
     */
    @Test
    void a_client_that_disconnects_cancels_the_upstream_and_its_partial_usage_is_recorded() throws Exception {
        String marker = "disconnect-" + UUID.randomUUID();
        String hold = "hold-" + marker;
        String prompt = marker + " " + "one two three four five six seven eight nine ten ".repeat(4)
                + SandboxDirectives.directive("hold", hold) + SandboxDirectives.directive("hold_after", 4);
        try (UsageLog log = UsageLog.attach()) {
            RawStream raw = RawStream.open(gateway, body("gpt-4o", prompt));
            raw.readContentChunks(3);
            raw.close();

            UpstreamTap.Connection upstream = tap.awaitConnectionCarrying(marker, Duration.ofSeconds(30));
            assertTrue(upstream.awaitClosedByGateway(Duration.ofSeconds(30)) > 0,
                    "the gateway closed its upstream connection after the client left, though the upstream was still answering");
            assertTrue(openAiUpstream.recorded().stream().anyMatch(r -> r.body().contains(marker)), "the upstream got the call");

            JsonNode row = awaitRow(raw.requestId, Duration.ofSeconds(30));
            assertNotNull(row, "recorded at the hang-up: the held stream never ended by itself");
            assertEquals(499, row.get("status").asInt(), row.toString());
            assertTrue(row.get("streamed").asBoolean(), row.toString());
            assertTrue(row.get("completion_tokens").asLong() >= 3,
                    "the tokens produced before the hang-up are counted: " + row);
            assertTrue(row.get("prompt_tokens").asLong() > 0, row.toString());
            assertTrue(row.get("total_cost").decimalValue().signum() > 0, "and costed: " + row);

            Thread.sleep(500);
            assertEquals(1, usageLines(log, raw.requestId), "recorded exactly once");
        } finally {
            openAiUpstream.release(hold);
        }
    }

    /** {@code firstContentFrame}: the index of the vendor's first event with text (see the test above). */
    @ParameterizedTest
    @CsvSource({"claude-3.5-sonnet, 3", "gemini-1.5-pro, 0", "command-r-plus, 2"})
    void partial_usage_of_a_disconnected_stream_counts_the_tokens_already_sent(String model, int firstContentFrame) throws Exception {
        String hold = "hold-" + UUID.randomUUID();
        String prompt = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa"
                + " quebec romeo sierra tango uniform victor whiskey xray yankee zulu "
                + SandboxDirectives.directive("hold", hold) + SandboxDirectives.directive("hold_after", firstContentFrame + 6);
        try {
            RawStream raw = RawStream.open(gateway, body(model, prompt));
            int received = raw.readContentChunks(6);
            raw.close();

            JsonNode row = awaitRow(raw.requestId, Duration.ofSeconds(30));
            assertNotNull(row, "recorded at the hang-up: the held stream never ended by itself");
            assertEquals(499, row.get("status").asInt(), row.toString());
            assertTrue(row.get("completion_tokens").asLong() >= received,
                    received + " content chunks (a word each) reached the client before it left, so at least that many"
                            + " completion tokens were produced and must be billed: " + row);
        } finally {
            gateway.sandbox().release(hold);
        }
    }

    // ---- analytics ---------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource({"gpt-4o", "claude-3.5-sonnet", "gemini-1.5-pro", "llama-3.1-70b", "mistral-large", "command-r-plus"})
    void a_stream_is_recorded_once_when_it_ends_with_its_final_cost(String model) throws Exception {
        try (UsageLog log = UsageLog.attach()) {
            Streamed s = stream(body(model, "Write one line about rivers"));
            assertEquals("data: [DONE]", s.dataLines().get(s.dataLines().size() - 1).text);
            s.finishChunk();
            JsonNode finish = s.lastChunk();

            JsonNode row = awaitRow(s.requestId);
            assertEquals(200, row.get("status").asInt(), row.toString());
            assertTrue(row.get("streamed").asBoolean(), row.toString());
            assertEquals(model, row.get("served_model").asText());
            assertEquals(finish.at("/usage/prompt_tokens").asLong(), row.get("prompt_tokens").asLong(), row.toString());
            assertEquals(finish.at("/usage/completion_tokens").asLong(), row.get("completion_tokens").asLong(), row.toString());
            BigDecimal clientCost = finish.at("/cost/total_cost").decimalValue();
            assertEquals(0, clientCost.compareTo(row.get("total_cost").decimalValue()),
                    "the row holds the cost the client saw: " + clientCost + " vs " + row);
            assertTrue(clientCost.signum() > 0);

            Thread.sleep(500);
            assertEquals(1, usageLines(log, s.requestId), "the analytics wire-tap ran exactly once");
            assertEquals(1, rowCount(s.requestId));
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------

    private static void assertBrokenStream(Streamed s, String provider) throws IOException {
        List<Line> data = s.dataLines();
        assertTrue(data.stream().noneMatch(l -> l.text.equals("data: [DONE]")), "a broken stream never ends in [DONE]: " + s.lines);
        List<JsonNode> errors = new ArrayList<>();
        for (Line l : data) {
            JsonNode json = JSON.readTree(l.text.substring(6));
            if (json.has("error")) {
                errors.add(json.get("error"));
            } else if (l != data.get(data.size() - 2)) {
                assertNull(json.at("/choices/0/finish_reason").textValue(), "no normal finish chunk on a broken stream: " + l.text);
            } else {
                assertEquals("error", json.at("/choices/0/finish_reason").textValue(),
                        "the chunk before the error event says the answer ended in error: " + l.text);
            }
        }
        assertEquals(1, errors.size(), "exactly one error event: " + s.lines);
        assertTrue(data.get(data.size() - 1).text.contains("\"error\""), "the error event is the last event");
        JsonNode error = errors.get(0);
        assertEquals("provider_error", error.path("type").asText(), error.toString());
        assertFalse(error.path("message").asText().isBlank(), error.toString());
        assertEquals(provider, error.path("provider").asText(), error.toString());
        assertEquals(s.requestId, error.path("request_id").asText(), error.toString());
    }

    private static String body(String model, String userText) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", model);
        body.put("stream", true);
        body.putArray("messages").addObject().put("role", "user").put("content", userText);
        return body.toString();
    }

    private static HttpRequest post(String body) {
        return HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + RunningGateway.MASTER_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    private static Streamed stream(String body) throws IOException, InterruptedException {
        HttpResponse<InputStream> response = HTTP.send(post(body), HttpResponse.BodyHandlers.ofInputStream());
        long headersAt = System.nanoTime();
        List<Line> lines = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lines.add(new Line(System.nanoTime(), Instant.now(), line));
            }
        }
        return new Streamed(response.statusCode(), response.headers().firstValue("X-Request-Id").orElse(null), headersAt, lines);
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    private static long usageLines(UsageLog log, String requestId) {
        return log.lines().stream().filter(l -> l.startsWith("request_id=" + requestId + " ")).count();
    }

    private static JsonNode awaitRow(String requestId) throws Exception {
        JsonNode row = awaitRow(requestId, Duration.ofSeconds(5));
        assertNotNull(row, "a request_log row for " + requestId);
        return row;
    }

    /** The request_log row, polled from the gateway's database until it appears or time runs out (then null). */
    private static JsonNode awaitRow(String requestId, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        do {
            JsonNode row = row(requestId);
            if (row != null) {
                return row;
            }
            Thread.sleep(25);
        } while (System.nanoTime() < deadline);
        return null;
    }

    private static JsonNode row(String requestId) throws SQLException {
        try (Connection c = DriverManager.getConnection(database);
             PreparedStatement ps = c.prepareStatement("SELECT status, error_type, prompt_tokens, completion_tokens, total_cost,"
                     + " latency_ms, streamed, served_model FROM request_log WHERE request_id = ?")) {
            ps.setString(1, requestId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                ObjectNode row = JSON.createObjectNode();
                row.put("status", rs.getInt("status"));
                row.put("error_type", rs.getString("error_type"));
                row.put("prompt_tokens", rs.getLong("prompt_tokens"));
                row.put("completion_tokens", rs.getLong("completion_tokens"));
                row.put("total_cost", rs.getBigDecimal("total_cost"));
                row.put("latency_ms", rs.getLong("latency_ms"));
                row.put("streamed", rs.getBoolean("streamed"));
                row.put("served_model", rs.getString("served_model"));
                return row;
            }
        }
    }

    private static int rowCount(String requestId) throws SQLException {
        try (Connection c = DriverManager.getConnection(database);
             PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM request_log WHERE request_id = ?")) {
            ps.setString(1, requestId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /**
     * The gateway's usage log line, written once by each run of the analytics wire-tap, captured on
     * the root logger only so that each line is seen once.
     */
    private static final class UsageLog extends AbstractAppender implements AutoCloseable {
        private final List<String> lines = new CopyOnWriteArrayList<>();

        private UsageLog() {
            super("streaming-usage-log", null, null, true, Property.EMPTY_ARRAY);
        }

        static UsageLog attach() {
            UsageLog log = new UsageLog();
            log.start();
            LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
            ctx.getConfiguration().getRootLogger().addAppender(log, null, null);
            ctx.updateLoggers();
            return log;
        }

        @Override
        public void append(LogEvent event) {
            if ("ai.infrastack.gateway.usage".equals(event.getLoggerName())) {
                lines.add(event.getMessage().getFormattedMessage());
            }
        }

        List<String> lines() {
            return List.copyOf(lines);
        }

        @Override
        public void close() {
            LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
            ctx.getConfiguration().getRootLogger().removeAppender(getName());
            ctx.updateLoggers();
            stop();
        }
    }

    private record Line(long at, Instant wall, String text) {
        @Override
        public String toString() {
            return text;
        }
    }

    private record Streamed(int status, String requestId, long headersAt, List<Line> lines) {
        List<Line> dataLines() {
            return lines.stream().filter(l -> l.text.startsWith("data: ")).toList();
        }

        /** The lines of chunks whose delta carries non-empty content. */
        List<Line> contentLines() throws IOException {
            List<Line> content = new ArrayList<>();
            for (Line l : dataLines()) {
                if (!l.text.equals("data: [DONE]") && !JSON.readTree(l.text.substring(6)).at("/choices/0/delta/content").asText("").isEmpty()) {
                    content.add(l);
                }
            }
            return content;
        }

        /** The chunk before [DONE]: the one carrying usage, cost and latency. */
        JsonNode lastChunk() throws IOException {
            List<Line> data = dataLines();
            return JSON.readTree(data.get(data.size() - 2).text.substring(6));
        }

        JsonNode finishChunk() throws IOException {
            JsonNode found = null;
            for (Line l : dataLines()) {
                if (!l.text.equals("data: [DONE]")) {
                    JsonNode json = JSON.readTree(l.text.substring(6));
                    if (json.at("/choices/0/finish_reason").isTextual()) {
                        assertNull(found, "one finish chunk");
                        found = json;
                    }
                }
            }
            assertNotNull(found, "a finish chunk: " + lines);
            return found;
        }
    }

    /**
     * A streaming client on a raw socket speaking HTTP/1.1, so hanging up really closes the TCP
     * connection (java.net.http may keep a pooled connection open after its body stream is closed).
     */
    private static final class RawStream implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final String requestId;
        private final StringBuilder pending = new StringBuilder();

        private RawStream(Socket socket, InputStream in, String requestId) {
            this.socket = socket;
            this.in = in;
            this.requestId = requestId;
        }

        static RawStream open(RunningGateway gateway, String body) throws IOException {
            URI uri = URI.create(gateway.baseUrl());
            Socket socket = new Socket(uri.getHost(), uri.getPort());
            socket.setSoTimeout(10_000);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + uri.getPath() + "/chat/completions HTTP/1.1\r\n"
                    + "Host: " + uri.getHost() + ":" + uri.getPort() + "\r\n"
                    + "Authorization: Bearer " + RunningGateway.MASTER_KEY + "\r\n"
                    + "Content-Type: application/json\r\n"
                    + "Accept: text/event-stream\r\n"
                    + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            InputStream in = socket.getInputStream();
            String status = readLine(in);
            assertTrue(status.startsWith("HTTP/1.1 200"), status);
            String requestId = null;
            boolean chunked = false;
            for (String h = readLine(in); !h.isEmpty(); h = readLine(in)) {
                String lower = h.toLowerCase();
                if (lower.startsWith("x-request-id:")) {
                    requestId = h.substring(h.indexOf(':') + 1).trim();
                } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                    chunked = true;
                }
            }
            assertNotNull(requestId, "X-Request-Id header");
            assertTrue(chunked, "a stream is sent chunked");
            return new RawStream(socket, in, requestId);
        }

        boolean seenDone() {
            return pending.indexOf("data: [DONE]") >= 0;
        }

        /** Reads the rest of the stream; returns its non-empty lines, [DONE] last when it ended whole. */
        List<String> readToEnd() throws IOException {
            for (int size = Integer.parseInt(readLine(in).trim(), 16); size > 0; size = Integer.parseInt(readLine(in).trim(), 16)) {
                pending.append(new String(in.readNBytes(size), StandardCharsets.UTF_8));
                readLine(in);
            }
            List<String> lines = new ArrayList<>();
            for (String line : pending.toString().split("\n")) {
                if (!line.isBlank()) {
                    lines.add(line);
                }
            }
            return lines;
        }

        /** Reads until {@code n} chunks with content have arrived; returns how many arrived. */
        int readContentChunks(int n) throws IOException {
            int seen = 0;
            while (seen < n) {
                int size = Integer.parseInt(readLine(in).trim(), 16);
                assertTrue(size > 0, "the stream ended before " + n + " content chunks");
                pending.append(new String(in.readNBytes(size), StandardCharsets.UTF_8));
                readLine(in); // CRLF after the chunk
                int end;
                while ((end = pending.indexOf("\n")) >= 0) {
                    String line = pending.substring(0, end);
                    pending.delete(0, end + 1);
                    if (line.startsWith("data: {") && !JSON.readTree(line.substring(6)).at("/choices/0/delta/content").asText("").isEmpty()) {
                        seen++;
                    }
                }
            }
            return seen;
        }

        private static String readLine(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    throw new IOException("connection closed mid-line: " + line);
                }
                if (b != '\r') {
                    line.write(b);
                }
            }
            return line.toString(StandardCharsets.UTF_8);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /**
     * A TCP relay between the gateway and an upstream, recording each connection's request bytes
     * and when the gateway closed it, so a test can see the gateway drop its upstream connection.
     */
    private static final class UpstreamTap implements AutoCloseable {
        private final ServerSocket server;
        private final int targetPort;
        private final List<Connection> connections = new CopyOnWriteArrayList<>();

        private UpstreamTap(ServerSocket server, int targetPort) {
            this.server = server;
            this.targetPort = targetPort;
        }

        static UpstreamTap start(int targetPort) {
            try {
                UpstreamTap tap = new UpstreamTap(new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress()), targetPort);
                Thread acceptor = new Thread(tap::accept, "upstream-tap");
                acceptor.setDaemon(true);
                acceptor.start();
                return tap;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket gatewaySide = server.accept();
                    Socket upstreamSide = new Socket(java.net.InetAddress.getLoopbackAddress(), targetPort);
                    Connection c = new Connection(gatewaySide, upstreamSide);
                    connections.add(c);
                    c.start();
                } catch (IOException e) {
                    // closed
                }
            }
        }

        Connection awaitConnectionCarrying(String marker, Duration within) throws InterruptedException {
            long deadline = System.nanoTime() + within.toNanos();
            while (System.nanoTime() < deadline) {
                for (Connection c : connections) {
                    if (c.sent().contains(marker)) {
                        return c;
                    }
                }
                Thread.sleep(10);
            }
            throw new AssertionError("no upstream connection carried " + marker);
        }

        @Override
        public void close() {
            try {
                server.close();
            } catch (IOException ignored) {
                // closing
            }
            connections.forEach(Connection::close);
        }

        static final class Connection {
            private final Socket gatewaySide;
            private final Socket upstreamSide;
            private final StringBuffer sent = new StringBuffer();
            private volatile long closedByGatewayAt;
            private volatile boolean closing;

            Connection(Socket gatewaySide, Socket upstreamSide) {
                this.gatewaySide = gatewaySide;
                this.upstreamSide = upstreamSide;
            }

            void start() {
                Thread toUpstream = new Thread(() -> {
                    pump(gatewaySide, upstreamSide, true);
                    if (!closing) {
                        closedByGatewayAt = System.nanoTime();
                    }
                    close();
                }, "upstream-tap-out");
                Thread toGateway = new Thread(() -> {
                    pump(upstreamSide, gatewaySide, false);
                    close();
                }, "upstream-tap-in");
                toUpstream.setDaemon(true);
                toGateway.setDaemon(true);
                toUpstream.start();
                toGateway.start();
            }

            private void pump(Socket from, Socket to, boolean record) {
                byte[] buffer = new byte[8192];
                try {
                    InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream();
                    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                        if (record) {
                            sent.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
                        }
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                } catch (IOException e) {
                    // either side went away
                }
            }

            String sent() {
                return sent.toString();
            }

            /** When the gateway's side closed (0 if it has not within the time). */
            long awaitClosedByGateway(Duration within) throws InterruptedException {
                long deadline = System.nanoTime() + within.toNanos();
                while (closedByGatewayAt == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                return closedByGatewayAt;
            }

            void close() {
                closing = true;
                try {
                    gatewaySide.close();
                } catch (IOException ignored) {
                    // already closed
                }
                try {
                    upstreamSide.close();
                } catch (IOException ignored) {
                    // already closed
                }
            }
        }
    }
}
