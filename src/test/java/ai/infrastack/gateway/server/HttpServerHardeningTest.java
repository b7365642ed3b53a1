package ai.infrastack.gateway.server;

import ai.infrastack.gateway.storage.Database;
import ai.infrastack.gateway.support.PrometheusText;
import ai.infrastack.gateway.support.RunningGateway;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the HTTP server refuses before any route runs, and how: request smuggling openings (RFC
 * 9112 framing), keys in URLs, clients that send too slowly, cross-origin calls unless configured.
 */
class HttpServerHardeningTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static RunningGateway gateway;
    private static int port;

    @BeforeAll
    static void start() {
        gateway = RunningGateway.start(Map.of("gateway.http.request-read-timeout-ms", "1000"));
        port = URI.create(gateway.baseUrl()).getPort();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void transfer_encoding_with_content_length_is_refused_and_the_connection_closed() throws IOException {
        // A proxy reading Content-Length sees one request; a server honouring chunked would see the
        // GET smuggled behind it. The gateway answers 400 once and reads nothing more.
        String smuggle = "POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                + "Content-Length: 4\r\n\r\n0\r\n\r\nGET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n";
        String answer = exchange(smuggle);
        assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
        assertTrue(answer.contains("Transfer-Encoding and Content-Length"), answer);
        assertEquals(1, count(answer, "HTTP/1.1 "), "one answer, none for the smuggled request: " + answer);
        assertTrue(answer.toLowerCase().contains("connection: close"), answer);
    }

    @Test
    void chunked_that_is_not_the_final_coding_is_refused() throws IOException {
        String request = "POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
                + "0\r\n\r\n";
        String answer = exchange(request);
        assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
        assertTrue(answer.contains("malformed_request"), answer);
        assertEquals(1, count(answer, "HTTP/1.1 "), answer);
    }

    @Test
    void a_plain_chunked_request_is_still_served() throws IOException {
        String body = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        String request = "POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + RunningGateway.MASTER_KEY
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n";
        String answer = exchange(request);
        assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
    }

    @Test
    void a_key_in_the_query_string_does_not_authenticate() throws Exception {
        String query = "?Authorization=" + URLEncoder.encode("Bearer " + RunningGateway.MASTER_KEY, StandardCharsets.UTF_8);
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/models" + query)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, r.statusCode(), r.body());
        assertEquals("authentication_error", JSON.readTree(r.body()).path("error").path("type").asText());
        // and the header still works
        assertEquals(200, gateway.get("/models", RunningGateway.MASTER_KEY).statusCode());
    }

    @Test
    void unauthenticated_requests_are_counted_not_written_to_the_request_log() throws Exception {
        double before = unauthenticatedCount();
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> r = gateway.post("/chat/completions",
                    "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "sk-made-up-" + i);
            assertEquals(401, r.statusCode(), r.body());
        }
        assertEquals(before + 5, unauthenticatedCount(), "counted in unified_unauthenticated_requests_total");
        Database db = gateway.context().getRegistry().lookupByNameAndType("gatewayDatabase", Database.class);
        // A row written would be there by now: recording happens before the answer is sent.
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM request_log WHERE status = 401")) {
            rs.next();
            assertEquals(0, rs.getInt(1), "no request-log row for an unauthenticated request");
        }
    }

    private static double unauthenticatedCount() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return PrometheusText.parse(r.body()).sum("unified_unauthenticated_requests_total");
    }

    @Test
    void cors_is_off_by_default_so_a_preflight_gets_no_allowance() throws Exception {
        HttpResponse<String> r = HTTP.send(preflight(gateway, "https://app.example.com"), HttpResponse.BodyHandlers.ofString());
        assertTrue(r.headers().firstValue("Access-Control-Allow-Origin").isEmpty(), r.headers().map().toString());
    }

    @Test
    void cors_answers_the_preflight_of_a_configured_origin_only() throws Exception {
        try (RunningGateway cors = RunningGateway.start(Map.of("gateway.http.cors.allowed-origins", "https://app.example.com"))) {
            HttpResponse<String> allowed = HTTP.send(preflight(cors, "https://app.example.com"), HttpResponse.BodyHandlers.ofString());
            assertEquals(204, allowed.statusCode(), allowed.body());
            assertEquals("https://app.example.com", allowed.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
            assertTrue(allowed.headers().firstValue("Access-Control-Allow-Headers").orElse("").toLowerCase().contains("authorization"),
                    allowed.headers().map().toString());

            HttpResponse<String> other = HTTP.send(preflight(cors, "https://evil.example.net"), HttpResponse.BodyHandlers.ofString());
            assertTrue(other.headers().firstValue("Access-Control-Allow-Origin").isEmpty(), other.headers().map().toString());
            assertTrue(other.statusCode() >= 400, "refused: " + other.statusCode());
        }
    }

    private static HttpRequest preflight(RunningGateway g, String origin) {
        return HttpRequest.newBuilder(URI.create(g.baseUrl() + "/chat/completions"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type")
                .build();
    }

    @Test
    void a_client_sending_its_headers_a_byte_at_a_time_is_cut_off() throws Exception {
        // Each byte resets an idle timeout; the request-read timeout (1 s here) counts from the first.
        byte[] request = ("GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Padding: " + "a".repeat(200) + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        long start = System.nanoTime();
        boolean cut = false;
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(100);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (byte b : request) {
                try {
                    out.write(b);
                    out.flush();
                } catch (IOException closed) {
                    cut = true;
                    break;
                }
                try {
                    if (in.read() < 0) {
                        cut = true;
                        break;
                    }
                } catch (SocketTimeoutException stillOpen) {
                    // nothing yet: send the next byte
                } catch (IOException reset) {
                    cut = true;
                    break;
                }
            }
        }
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        assertTrue(cut, "the connection was closed before the headers were complete (took " + seconds + " s)");
    }

    @Test
    void health_reports_the_database_and_the_request_log_backlog() throws Exception {
        JsonNode health = JSON.readTree(gateway.get("/health", null).body());
        assertEquals("up", health.path("database").path("status").asText(), health.toString());
        assertEquals("h2", health.path("database").path("engine").asText());
        assertTrue(health.path("request_log").has("buffered"), health.toString());
        assertTrue(health.path("request_log").has("spilled"), health.toString());
        assertEquals(0, health.path("request_log").path("dropped").asLong());
    }

    /** Sends raw bytes and reads until the server closes (or 10 s pass). */
    private static String exchange(String raw) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(raw.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    answer.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                assertFalse(true, "the server kept the connection open: " + answer);
            }
            return answer.toString(StandardCharsets.UTF_8);
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
